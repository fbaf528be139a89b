package dev.twinmesh.worker.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import dev.twinmesh.common.SamplingParams;
import dev.twinmesh.worker.model.BatchInput;
import dev.twinmesh.worker.model.KvCache;
import dev.twinmesh.worker.model.LlamaModelRunner;
import dev.twinmesh.worker.model.PagedKvCache;
import dev.twinmesh.worker.scheduler.BlockManager;
import dev.twinmesh.worker.scheduler.Scheduler;
import dev.twinmesh.worker.scheduler.SchedulerConfig;
import dev.twinmesh.worker.scheduler.SchedulerOutput;
import dev.twinmesh.worker.scheduler.Sequence;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Logits computed through the paged KV cache (batched, chunked, scattered blocks, prefix-cache hits,
 * recompute after preemption) equal a full recompute of the same tokens without any cache, at every
 * position; and the logprobs the engine reports are that recompute's log-softmax.
 */
class PagedCacheParityTest {
  private static final int BLOCK_SIZE = 4;
  private static final float TOLERANCE = 2e-4f;

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

  /** One sequence driven by hand: its tokens, its (scattered) blocks, and the logits seen per position. */
  private static final class Seq {
    final int[] tokens;
    final List<Integer> blocks = new ArrayList<>();
    final float[][] logitsAt;
    int computed;

    Seq(int[] tokens) {
      this.tokens = tokens;
      this.logitsAt = new float[tokens.length][];
    }
  }

  @Test
  void everyPositionThroughThePagedCacheMatchesAFullRecompute() {
    int[] freeBlocks = {9, 2, 17, 5, 30, 0, 12, 23, 7, 28, 3, 19, 14, 25, 1, 11, 21, 6, 27, 16, 8, 31, 4, 29};
    int next = 0;
    Seq a = new Seq(fixture.prompt(1, 23)); // one token per step: every position
    Seq b = new Seq(fixture.prompt(2, 30)); // chunks of varying size, single tokens among them
    Seq c = new Seq(fixture.prompt(3, 11)); // joins later, one token per step
    int[] chunks = {5, 1, 3, 1, 1, 7, 1, 1, 1, 2, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1};
    try (PagedKvCache cache = fixture.model.newPagedCache(32, BLOCK_SIZE)) {
      for (int step = 0; a.computed < a.tokens.length || b.computed < b.tokens.length
          || c.computed < c.tokens.length; step++) {
        List<Seq> seqs = new ArrayList<>();
        List<Integer> counts = new ArrayList<>();
        if (a.computed < a.tokens.length) {
          seqs.add(a);
          counts.add(1);
        }
        if (b.computed < b.tokens.length) {
          seqs.add(b);
          counts.add(Math.min(chunks[step % chunks.length], b.tokens.length - b.computed));
        }
        if (step >= 3 && c.computed < c.tokens.length) {
          seqs.add(c);
          counts.add(1);
        }
        for (Seq seq : seqs) {
          int count = counts.get(seqs.indexOf(seq));
          while (seq.blocks.size() * BLOCK_SIZE < seq.computed + count) {
            seq.blocks.add(freeBlocks[next++]);
          }
        }
        step(cache, seqs, counts);
      }
    }
    for (Seq seq : List.of(a, b, c)) {
      float[][] full = fullRecompute(seq.tokens);
      int checked = 0;
      for (int p = 0; p < seq.tokens.length; p++) {
        if (seq.logitsAt[p] != null) {
          assertClose(full[p], seq.logitsAt[p], "position " + p);
          checked++;
        }
      }
      assertTrue(checked >= (seq == b ? 15 : seq.tokens.length), "positions checked: " + checked);
    }
  }

  @Test
  void theRunnerOverSchedulerStepsMatchesAFullRecomputeForEverySampledToken() {
    // 12 blocks cannot hold all three at once: the scheduler preempts and recomputes; the fourth
    // request repeats the first one's prompt and reads its blocks from the prefix cache
    int numBlocks = 12;
    Scheduler scheduler = new Scheduler(new SchedulerConfig(7, 3, EngineFixture.MAX_MODEL_LEN),
        new BlockManager(numBlocks, BLOCK_SIZE));
    LlamaModelRunner runner = new LlamaModelRunner(fixture.model, numBlocks, BLOCK_SIZE); // its cache dies with the model
    int[] firstPrompt = fixture.prompt(10, 13);
    scheduler.add(new Sequence("a", firstPrompt, 6));
    scheduler.add(new Sequence("b", fixture.prompt(11, 6), 6));
    scheduler.add(new Sequence("c", fixture.prompt(12, 21), 6));
    int sampled = 0;
    boolean addedRepeat = false;
    while (scheduler.hasUnfinished()) {
      SchedulerOutput step = scheduler.schedule();
      float[][] rows = runner.execute(step);
      int[] next = new int[rows.length];
      for (int i = 0; i < rows.length; i++) {
        if (rows[i] != null) {
          Sequence seq = scheduler.sequence(step.scheduled().get(i).requestId());
          float[][] full = fullRecompute(seq.tokenIds(0, seq.numTokens()));
          assertClose(full[full.length - 1], rows[i], seq + " after " + seq.numTokens() + " tokens");
          next[i] = argMax(rows[i]);
          sampled++;
        }
      }
      List<Sequence> finished = scheduler.postprocess(step, next);
      if (!addedRepeat && finished.stream().anyMatch(s -> s.requestId().equals("a"))) {
        scheduler.add(new Sequence("a-again", firstPrompt, 6));
        addedRepeat = true;
      }
    }
    assertTrue(scheduler.numPreemptions() > 0, "the small pool preempted");
    assertTrue(scheduler.numPrefixCacheHitTokens() > 0, "the repeated prompt hit the prefix cache");
    assertEquals(4 * 6, sampled);
    assertEquals(numBlocks, scheduler.blockManager().numFreeBlocks());
  }

  @Test
  void theEnginesReportedLogprobsAreTheLogSoftmaxOfAFullRecompute() throws Exception {
    EngineFixture.Built built = fixture.engine(32, BLOCK_SIZE, 8, 2); // a chunked prompt
    int[] prompt = fixture.prompt(13, 19);
    SamplingParams params = new SamplingParams(0, 1, 0, 0, 1, 0, 0, null, List.of(), List.of(), 8, true, 3, true);
    EngineFixture.Collector c = new EngineFixture.Collector();
    built.engine().submit(fixture.request(prompt, params), c);
    c.finished();
    int[] tokens = Arrays.copyOf(prompt, prompt.length + 8);
    List<GenerationEvent.Token> events = c.tokens();
    for (int i = 0; i < events.size(); i++) {
      tokens[prompt.length + i] = events.get(i).sampled().tokenId();
    }
    float[][] full = fullRecompute(Arrays.copyOf(tokens, tokens.length - 1));
    for (int i = 0; i < events.size(); i++) {
      float[] row = full[prompt.length - 1 + i];
      double[] logSoftmax = logSoftmax(row);
      GenerationEvent.Token event = events.get(i);
      assertEquals(argMax(row), event.sampled().tokenId(), "token " + i + " is the argmax");
      assertEquals(logSoftmax[event.sampled().tokenId()], event.sampled().logprob(), 1e-3, "token " + i + " logprob");
      assertEquals(3, event.top().size());
      for (TokenLogprob alternative : event.top()) {
        assertEquals(logSoftmax[alternative.tokenId()], alternative.logprob(), 1e-3, "token " + i + " alternative");
      }
      assertEquals(event.sampled().tokenId(), event.top().get(0).tokenId(), "the greedy choice is the best alternative");
    }
    EngineFixture.awaitPoolFull(built);
  }

  private static double[] logSoftmax(float[] row) {
    double max = Double.NEGATIVE_INFINITY;
    for (float v : row) {
      max = Math.max(max, v);
    }
    double sum = 0;
    for (float v : row) {
      sum += Math.exp(v - max);
    }
    double log = max + Math.log(sum);
    double[] out = new double[row.length];
    for (int i = 0; i < row.length; i++) {
      out[i] = row[i] - log;
    }
    return out;
  }

  /** Runs one batched step over the paged cache and records each sequence's logits at its last new position. */
  private static void step(PagedKvCache cache, List<Seq> seqs, List<Integer> counts) {
    int n = counts.stream().mapToInt(Integer::intValue).sum();
    int[] ids = new int[n];
    int[] positions = new int[n];
    int[] slots = new int[n];
    int[] queryLengths = new int[seqs.size()];
    int[] contextLengths = new int[seqs.size()];
    int[][] blockTables = new int[seqs.size()][];
    int offset = 0;
    for (int s = 0; s < seqs.size(); s++) {
      Seq seq = seqs.get(s);
      int count = counts.get(s);
      for (int i = 0; i < count; i++) {
        int p = seq.computed + i;
        ids[offset + i] = seq.tokens[p];
        positions[offset + i] = p;
        slots[offset + i] = seq.blocks.get(p / BLOCK_SIZE) * BLOCK_SIZE + p % BLOCK_SIZE;
      }
      queryLengths[s] = count;
      contextLengths[s] = seq.computed + count;
      blockTables[s] = seq.blocks.stream().mapToInt(Integer::intValue).toArray();
      offset += count;
    }
    BatchInput batch = new BatchInput(ids, positions, slots, queryLengths, contextLengths, blockTables);
    int vocab = fixture.config.vocabSize();
    try (NDArray logits = fixture.model.forward(batch, cache)) {
      float[] flat = logits.toFloatArray();
      for (int s = 0; s < seqs.size(); s++) {
        Seq seq = seqs.get(s);
        seq.computed += counts.get(s);
        seq.logitsAt[seq.computed - 1] = Arrays.copyOfRange(flat, s * vocab, (s + 1) * vocab);
      }
    }
  }

  /** Logits of every position, all tokens in one pass over a fresh contiguous cache. */
  private static float[][] fullRecompute(int[] tokens) {
    int vocab = fixture.config.vocabSize();
    try (KvCache fresh = fixture.model.newCache(tokens.length); NDArray logits = fixture.model.forward(tokens, 0, fresh)) {
      float[] flat = logits.toFloatArray();
      float[][] rows = new float[tokens.length][];
      for (int p = 0; p < tokens.length; p++) {
        rows[p] = Arrays.copyOfRange(flat, p * vocab, (p + 1) * vocab);
      }
      return rows;
    }
  }

  private static void assertClose(float[] expected, float[] actual, String what) {
    assertEquals(expected.length, actual.length, what);
    float worst = 0;
    int at = -1;
    for (int i = 0; i < expected.length; i++) {
      float diff = Math.abs(expected[i] - actual[i]);
      if (!(diff <= worst)) {
        worst = diff;
        at = i;
      }
    }
    assertTrue(worst <= TOLERANCE, what + ": logit " + at + " differs by " + worst);
  }

  private static int argMax(float[] row) {
    int best = 0;
    for (int i = 1; i < row.length; i++) {
      if (row[i] > row[best]) {
        best = i;
      }
    }
    return best;
  }
}
