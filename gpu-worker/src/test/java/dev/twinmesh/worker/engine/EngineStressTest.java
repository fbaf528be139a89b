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
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * Everything at once under a pool far too small: random arrivals, greedy and seeded requests, repeated
 * prompts (prefix-cache hits while others are preempted), cancels at random points. Every request that
 * was not cancelled produces exactly what it produces alone; cancelled ones produce a prefix of it and
 * then nothing; the pool ends full.
 */
class EngineStressTest extends EngineTestBase {
  private static final int REQUESTS = 24;


  @Test
  void aCrowdOfRequestsUnderPreemptionAndCancelsMatchesEachRequestAlone() throws Exception {
    Random random = new Random(2026);
    List<int[]> prompts = new ArrayList<>();
    List<SamplingParams> params = new ArrayList<>();
    boolean[] cancel = new boolean[REQUESTS];
    int[] cancelAfter = new int[REQUESTS];
    for (int i = 0; i < REQUESTS; i++) {
      int promptLength = 3 + random.nextInt(50);
      int maxTokens = 1 + random.nextInt(Math.min(40, 90 - promptLength));
      prompts.add(i % 5 == 4 ? prompts.get(i - 3) : fixture.prompt(500 + i, promptLength));
      maxTokens = Math.min(maxTokens, 90 - prompts.get(i).length);
      params.add(i % 2 == 0 ? EngineFixture.greedy(maxTokens)
          : EngineFixture.sampling(1.0, 700L + i, List.of(), maxTokens, 1));
      cancel[i] = i % 4 == 1;
      cancelAfter[i] = random.nextInt(4);
    }

    Built alone = fixture.engine(256, 4, 256, 1);
    List<Result> expected = new ArrayList<>();
    for (int i = 0; i < REQUESTS; i++) {
      Collector c = new Collector();
      alone.engine().submit(fixture.request(prompts.get(i), params.get(i)), c);
      expected.add(Result.of(c));
    }

    Built crowd = fixture.engine(24, 4, 12, 8); // 96 slots; the largest request needs up to 90
    List<Collector> collectors = new ArrayList<>();
    List<GenerationHandle> handles = new ArrayList<>();
    for (int i = 0; i < REQUESTS; i++) {
      Collector c = new Collector();
      collectors.add(c);
      handles.add(crowd.engine().submit(fixture.request(prompts.get(i), params.get(i)), c));
      Thread.sleep(random.nextInt(6));
      for (int j = 0; j <= i; j++) {
        if (cancel[j] && collectors.get(j).tokens().size() >= cancelAfter[j]) {
          handles.get(j).cancel();
        }
      }
    }
    for (int j = 0; j < REQUESTS; j++) {
      if (cancel[j]) {
        handles.get(j).cancel();
      }
    }

    for (int i = 0; i < REQUESTS; i++) {
      Collector c = collectors.get(i);
      if (!cancel[i]) {
        Result got = Result.of(c);
        assertArrayEquals(expected.get(i).tokenIds(), got.tokenIds(), "request " + i + " token ids");
        assertEquals(expected.get(i).text(), got.text(), "request " + i + " text");
        assertEquals(expected.get(i).finishReason(), got.finishReason(), "request " + i);
      }
    }
    EngineFixture.awaitPoolFull(crowd);
    for (int i = 0; i < REQUESTS; i++) {
      Collector c = collectors.get(i);
      if (cancel[i]) {
        int[] ids = c.tokenIds();
        assertArrayEquals(Arrays.copyOf(expected.get(i).tokenIds(), ids.length), ids,
            "cancelled request " + i + " produced a prefix of its tokens");
        int events = c.events.size();
        Thread.sleep(20);
        assertEquals(events, c.events.size(), "cancelled request " + i + " is silent");
      }
    }
    assertTrue(crowd.metrics().preemptions.get() > 0, "the pool forced preemptions");
  }
}
