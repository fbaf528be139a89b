package dev.twinmesh.worker.engine;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.twinmesh.worker.engine.EngineFixture.Built;
import dev.twinmesh.worker.engine.EngineFixture.Collector;
import dev.twinmesh.worker.engine.EngineFixture.Result;
import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** A prompt served from the prefix cache generates exactly what the computed prompt generated. */
class PrefixCacheTest {
  private static final int BLOCK_SIZE = 8;

  @TempDir
  static Path dir;
  static EngineFixture fixture;

  @BeforeAll
  static void load() {
    fixture = EngineFixture.load(dir);
  }

  @AfterAll
  static void close() {
    fixture.close();
  }

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

  private static Result run(Built built, int[] prompt, int maxTokens) throws Exception {
    Collector c = new Collector();
    built.engine().submit(fixture.request(prompt, EngineFixture.greedy(maxTokens)), c);
    return Result.of(c);
  }
}
