package dev.twinmesh.worker.engine;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.twinmesh.worker.engine.EngineFixture.Built;
import dev.twinmesh.worker.engine.EngineFixture.Collector;
import dev.twinmesh.worker.engine.EngineFixture.Result;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Continuous batching changes when tokens are computed, never which: greedy requests run together
 * (staggered arrivals, mixed lengths, chunked prefill, preemption by a tiny KV pool) produce, token
 * for token, what each produces alone.
 */
class ContinuousBatchingTest {
  @TempDir
  static Path dir;
  static EngineFixture fixture;

  /** Prompt and output lengths: short and long prompts (up to 3 prefill chunks), short and long outputs. */
  static final int[][] SHAPES = {{5, 24}, {41, 8}, {17, 30}, {3, 12}, {33, 20}, {9, 5}, {26, 16}, {12, 28},
      {45, 10}, {7, 18}};

  @BeforeAll
  static void load() {
    fixture = EngineFixture.load(dir);
  }

  @AfterAll
  static void close() {
    fixture.close();
  }

  @Test
  void concurrentGreedyRequestsMatchTheSameRequestsRunOneAtATime() throws Exception {
    List<int[]> prompts = new ArrayList<>();
    for (int i = 0; i < SHAPES.length; i++) {
      prompts.add(fixture.prompt(1000 + i, SHAPES[i][0]));
    }

    Built alone = fixture.engine(256, 4, 256, 1);
    List<Result> expected = new ArrayList<>();
    for (int i = 0; i < SHAPES.length; i++) {
      Collector c = new Collector();
      alone.engine().submit(fixture.request(prompts.get(i), EngineFixture.greedy(SHAPES[i][1])), c);
      expected.add(Result.of(c));
    }
    EngineFixture.awaitPoolFull(alone);

    // 20 blocks of 4 tokens: the longest request alone needs 14, so requests running together preempt
    Built together = fixture.engine(20, 4, 16, 6);
    List<Collector> collectors = new ArrayList<>();
    for (int i = 0; i < SHAPES.length; i++) {
      Collector c = new Collector();
      together.engine().submit(fixture.request(prompts.get(i), EngineFixture.greedy(SHAPES[i][1])), c);
      collectors.add(c);
      if (i == 3) {
        awaitFirstToken(collectors.get(0)); // later requests join a batch that is already decoding
      } else if (i > 3) {
        Thread.sleep(3);
      }
    }
    for (int i = 0; i < SHAPES.length; i++) {
      Result got = Result.of(collectors.get(i));
      Result want = expected.get(i);
      assertEquals("length", got.finishReason(), "request " + i);
      assertEquals(SHAPES[i][1], got.completionTokens(), "request " + i + " completion tokens");
      assertArrayEquals(want.tokenIds(), got.tokenIds(), "request " + i + " token ids");
      assertEquals(want.text(), got.text(), "request " + i + " text");
    }
    assertTrue(together.metrics().preemptions.get() > 0, "the tiny pool forced preemption");
    assertTrue(together.runner().sawChunkedPrefill, "prompts longer than the budget were chunked");
    assertTrue(together.runner().maxTokensInStep <= 16, "the step budget held: " + together.runner().maxTokensInStep);
    EngineFixture.awaitPoolFull(together);
    assertEquals(SHAPES.length, together.metrics().finishReasons.stream().filter("length"::equals).count());
    assertEquals(SHAPES.length, together.metrics().finishReasons.size(), "each request left once");
    assertEquals(Arrays.stream(SHAPES).mapToInt(s -> s[1]).sum(), together.metrics().generationTokens.get());
    assertEquals(Arrays.stream(SHAPES).mapToInt(s -> s[0]).sum(), together.metrics().promptTokens.get(),
        "prompts counted once, however often they were preempted");
  }

  private static void awaitFirstToken(Collector c) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(EngineFixture.TIMEOUT_SECONDS);
    while (c.tokens().isEmpty() && System.nanoTime() < deadline) {
      Thread.sleep(1);
    }
  }
}
