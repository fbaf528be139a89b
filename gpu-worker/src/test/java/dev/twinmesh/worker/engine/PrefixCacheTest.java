package dev.twinmesh.worker.engine;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.twinmesh.common.SamplingParams;
import dev.twinmesh.worker.engine.EngineFixture.Built;
import dev.twinmesh.worker.engine.EngineFixture.Collector;
import dev.twinmesh.worker.engine.EngineFixture.Result;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** A prompt served from the prefix cache generates exactly what the computed prompt generated. */
class PrefixCacheTest extends EngineTestBase {
  private static final int BLOCK_SIZE = 8;


  @ParameterizedTest(name = "{0} prompt tokens")
  @ValueSource(ints = {100, 97}) // 97: the hit leaves one token, computed in a decode-only step
  void theSameLongPromptTwiceHitsTheCacheAndGivesTheSameTokens(int promptLength) throws Exception {
    Built built = fixture.engine(64, BLOCK_SIZE, 64, 4);
    int[] prompt = fixture.prompt(21, promptLength);

    Result miss = run(built, prompt, 20);
    EngineFixture.awaitPoolFull(built);
    Result hit = run(built, prompt, 20);
    EngineFixture.awaitPoolFull(built);

    assertEquals(0, miss.cachedPromptTokens(), "the first run computes its prompt");
    assertEquals(96, hit.cachedPromptTokens(), "the second run reads every full block of its prompt from the cache");
    assertArrayEquals(miss.tokenIds(), hit.tokenIds());
    assertEquals(miss.text(), hit.text());
    assertEquals(2L * promptLength, built.metrics().prefixQueries.get(), "both prompts were looked up, in tokens");
    assertEquals(96, built.metrics().prefixHits.get(), "hits counted in tokens");
  }

  @Test
  void aSharedPrefixWithADifferentEndingHitsOnlyTheSharedBlocks() throws Exception {
    Built built = fixture.engine(64, BLOCK_SIZE, 64, 4);
    int[] prompt = fixture.prompt(22, 60);
    int[] variant = Arrays.copyOf(prompt, prompt.length);
    variant[43] = (variant[43] + 1) % 1000; // block 5 differs: blocks 0..4 (40 tokens) are shared

    Result first = run(built, prompt, 12);
    Result cachedVariant = run(built, variant, 12);
    Built fresh = fixture.engine(64, BLOCK_SIZE, 64, 4);
    Result computedVariant = run(fresh, variant, 12);

    assertEquals(0, first.cachedPromptTokens());
    assertEquals(40, cachedVariant.cachedPromptTokens());
    assertEquals(0, computedVariant.cachedPromptTokens());
    assertArrayEquals(computedVariant.tokenIds(), cachedVariant.tokenIds());
    EngineFixture.awaitPoolFull(built);
    EngineFixture.awaitPoolFull(fresh);
  }

  @Test
  void requestsSharingCachedBlocksUnderPreemptionMatchEachRequestAlone() throws Exception {
    int[] prompt = fixture.prompt(23, 40);
    List<SamplingParams> params = List.of(EngineFixture.greedy(30), EngineFixture.sampling(1.0, 1L, List.of(), 30, 1),
        EngineFixture.sampling(1.0, 2L, List.of(), 30, 1), EngineFixture.sampling(1.0, 3L, List.of(), 30, 1));
    List<Result> alone = new ArrayList<>();
    for (SamplingParams p : params) {
      alone.add(run(fixture.engine(64, 4, 64, 4), prompt, p));
    }

    // 24 blocks of 4: four requests of 70 tokens share 10 prompt blocks and need 8 more each
    Built built = fixture.engine(24, 4, 64, 4);
    EngineFixture.Runner.Hold firstPrompt = built.runner().hold();
    List<Collector> collectors = new ArrayList<>();
    for (int i = 0; i < params.size(); i++) {
      Collector c = new Collector();
      built.engine().submit(fixture.request(prompt, params.get(i)), c);
      collectors.add(c);
      if (i == 0) {
        firstPrompt.awaitEntered(); // the others arrive while the first computes the shared prompt
      }
    }
    firstPrompt.release().complete(null);
    for (int i = 0; i < params.size(); i++) {
      Result got = Result.of(collectors.get(i));
      assertArrayEquals(alone.get(i).tokenIds(), got.tokenIds(), "request " + i);
      assertEquals(alone.get(i).text(), got.text(), "request " + i);
      assertEquals(i == 0 ? 0 : 36, got.cachedPromptTokens(), "request " + i + " cached prompt tokens");
    }
    assertTrue(built.metrics().preemptions.get() > 0, "the pool forced preemption of sequences sharing blocks");
    EngineFixture.awaitPoolFull(built);
  }

  private static Result run(Built built, int[] prompt, SamplingParams params) throws Exception {
    Collector c = new Collector();
    built.engine().submit(fixture.request(prompt, params), c);
    return Result.of(c);
  }

  private static Result run(Built built, int[] prompt, int maxTokens) throws Exception {
    Collector c = new Collector();
    built.engine().submit(fixture.request(prompt, EngineFixture.greedy(maxTokens)), c);
    return Result.of(c);
  }
}
