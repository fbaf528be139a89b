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
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

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

  /** Each request run alone, one at a time, on a roomy engine: what every batched run must reproduce. */
  static List<int[]> prompts = new ArrayList<>();
  static List<Result> expected = new ArrayList<>();

  @BeforeAll
  static void loadAndRunEachAlone() throws Exception {
    fixture = EngineFixture.load(dir);
    for (int i = 0; i < SHAPES.length; i++) {
      prompts.add(fixture.prompt(1000 + i, SHAPES[i][0]));
    }
    Built alone = fixture.engine(256, 4, 256, 1);
    for (int i = 0; i < SHAPES.length; i++) {
      Collector c = new Collector();
      alone.engine().submit(fixture.request(prompts.get(i), EngineFixture.greedy(SHAPES[i][1])), c);
      expected.add(Result.of(c));
    }
    EngineFixture.awaitPoolFull(alone);
  }

  @AfterAll
  static void close() {
    fixture.close();
  }

  /**
   * Pools too small for all requests at once (the longest alone needs 55 token slots), step budgets
   * below the longest prompt, block sizes that do and do not divide the prompts.
   */
  @ParameterizedTest(name = "{0} blocks of {1}, budget {2}, {3} seats")
  @CsvSource({"20, 4, 16, 6", "26, 3, 7, 4", "70, 1, 5, 5", "5, 16, 32, 3", "30, 2, 2, 2"})
  void concurrentGreedyRequestsMatchTheSameRequestsRunOneAtATime(int numBlocks, int blockSize, int budget, int seats)
      throws Exception {
    Built together = fixture.engine(numBlocks, blockSize, budget, seats);
    List<Collector> collectors = new ArrayList<>();
    EngineFixture.Runner.Hold firstStep = together.runner().hold();
    for (int i = 0; i < SHAPES.length; i++) {
      Collector c = new Collector();
      together.engine().submit(fixture.request(prompts.get(i), EngineFixture.greedy(SHAPES[i][1])), c);
      collectors.add(c);
      if (i == 0) {
        firstStep.awaitEntered(); // the next three join a batch that is already running
      } else if (i == 3) {
        firstStep.release().complete(null); // together they need more blocks than the pool has: preemption
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
    assertTrue(together.runner().maxTokensInStep <= budget, "the step budget held: " + together.runner().maxTokensInStep);
    EngineFixture.awaitPoolFull(together);
    assertEquals(SHAPES.length, together.metrics().finishReasons.stream().filter("length"::equals).count());
    assertEquals(SHAPES.length, together.metrics().finishReasons.size(), "each request left once");
    assertEquals(Arrays.stream(SHAPES).mapToInt(s -> s[1]).sum(), together.metrics().generationTokens.get());
    assertEquals(Arrays.stream(SHAPES).mapToInt(s -> s[0]).sum(), together.metrics().promptTokens.get(),
        "prompts counted once, however often they were preempted");
  }
}
