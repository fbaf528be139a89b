package dev.twinmesh.worker.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import dev.twinmesh.worker.checkpoint.ModelConfig;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.SplittableRandom;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class LlamaModelTest {

  private static final Path ORIGIN = Path.of("in-memory");
  private static final int PROMPT_LENGTH = 40;
  /** fp32 against double: measured around 2e-6 of the largest logit; a wrong op moves it past 1e-2. */
  private static final double TOLERANCE = 2e-5;

  private static DjlRuntime runtime;

  @BeforeAll
  static void startEngine() {
    runtime = DjlRuntime.start(new DjlRuntime.Options("cpu", 1));
  }

  @AfterAll
  static void stopEngine() {
    runtime.close();
  }

  @Test
  void llama3MatchesTheReferenceAtEveryPosition() {
    assertMatchesReference(TinyConfigs.llama3(), 11);
  }

  @Test
  void qwen2WithQkvBiasesMatchesTheReference() {
    assertMatchesReference(TinyConfigs.qwen2(), 12);
  }

  @Test
  void tiedEmbeddingsMatchTheReference() {
    assertMatchesReference(TinyConfigs.tied(), 13);
  }

  @Test
  void mistralMatchesTheReference() {
    assertMatchesReference(TinyConfigs.mistral(), 14);
  }

  @Test
  void ropeScalingChangesTheLogitsAndTheModelAppliesIt() {
    ModelConfig config = TinyConfigs.llama3();
    InMemoryTensorSource weights = InMemoryTensorSource.random(config, 15);
    int[] prompt = prompt(config, 16);
    double[][] scaled = new ReferenceLlama(config, weights, true).logits(prompt);
    double[][] unscaled = new ReferenceLlama(config, weights, false).logits(prompt);
    assertTrue(relativeDifference(scaled, unscaled) > 1e-2,
        "rope scaling should move the logits, moved " + relativeDifference(scaled, unscaled));
    try (LlamaModel model = load(config, weights); KvCache cache = model.newCache(64)) {
      float[][] actual = rows(model.forward(prompt, 0, cache));
      assertTrue(relativeDifference(scaled, actual) < TOLERANCE);
      assertTrue(relativeDifference(unscaled, actual) > 1e-2);
    }
  }

  @Test
  void theFp16NumericsOfTheCudaPathStayCloseToTheReference() {
    ModelConfig config = TinyConfigs.qwen2();
    InMemoryTensorSource weights = InMemoryTensorSource.random(config, 17);
    int[] prompt = prompt(config, 18);
    double[][] expected = new ReferenceLlama(config, weights, true).logits(prompt);
    try (LlamaModel model = LlamaModel.load(ORIGIN, weights, config, runtime.manager(), DataType.FLOAT16, 128);
         KvCache cache = model.newCache(64)) {
      assertEquals(DataType.FLOAT16, model.weights().dataType());
      NDArray logits = model.forward(prompt, 0, cache);
      assertEquals(DataType.FLOAT32, logits.getDataType());
      // measured about 3.5e-3 here: fp16's 11-bit mantissa through two layers
      assertTrue(relativeDifference(expected, rows(logits)) < 2e-2);
    }
  }

  @Test
  void theFp16NumericsOfThePagedPathStayCloseToTheReference() {
    ModelConfig config = TinyConfigs.qwen2();
    InMemoryTensorSource weights = InMemoryTensorSource.random(config, 19);
    int[] prompt = prompt(config, 20);
    int[] blocks = {5, 1, 7, 3, 0, 6, 2, 4, 9, 8}; // out of order: slots never contiguous
    double[][] expected = new ReferenceLlama(config, weights, true).logits(prompt);
    try (LlamaModel model = LlamaModel.load(ORIGIN, weights, config, runtime.manager(), DataType.FLOAT16, 128);
         PagedKvCache cache = model.newPagedCache(blocks.length, 4)) {
      // the prompt but its last token as one chunk, then the last token as a decode step
      int head = prompt.length - 1;
      float[][] chunk = rows(model.forward(pagedBatch(prompt, 0, head, blocks), cache));
      float[][] decoded = rows(model.forward(pagedBatch(prompt, head, 1, blocks), cache));
      // measured 2.0e-3 (chunk) and 4.7e-3 (decode) here, as on the contiguous path
      assertTrue(relativeDifference(new double[][] {expected[head - 1]}, chunk) < 2e-2);
      assertTrue(relativeDifference(new double[][] {expected[head]}, decoded) < 2e-2);
    }
  }

  /** Tokens [start, start+count) of one sequence whose positions live in {@code blocks} of 4 slots. */
  private static BatchInput pagedBatch(int[] tokens, int start, int count, int[] blocks) {
    int[] ids = Arrays.copyOfRange(tokens, start, start + count);
    int[] positions = new int[count];
    int[] slots = new int[count];
    for (int i = 0; i < count; i++) {
      positions[i] = start + i;
      slots[i] = blocks[positions[i] / 4] * 4 + positions[i] % 4;
    }
    int context = start + count;
    return new BatchInput(ids, positions, slots, new int[] {count}, new int[] {context},
        new int[][] {Arrays.copyOf(blocks, (context + 3) / 4)});
  }

  @Test
  void decodingTokenByTokenThroughTheCacheMatchesPrefill() {
    ModelConfig config = TinyConfigs.llama3();
    InMemoryTensorSource weights = InMemoryTensorSource.random(config, 21);
    int[] prompt = prompt(config, 22);
    try (LlamaModel model = load(config, weights);
         KvCache prefillCache = model.newCache(64);
         KvCache decodeCache = model.newCache(64)) {
      float[][] prefill = rows(model.forward(prompt, 0, prefillCache));
      float[][] decoded = new float[prompt.length][];
      for (int p = 0; p < prompt.length; p++) {
        decoded[p] = model.forwardLast(new int[] {prompt[p]}, p, decodeCache);
      }
      assertEquals(prompt.length, decodeCache.length());
      assertTrue(maxRelativeDifference(prefill, decoded) < 1e-5,
          "decode vs prefill " + maxRelativeDifference(prefill, decoded));
    }
  }

  @Test
  void prefillInTwoChunksMatchesOnePrefill() {
    ModelConfig config = TinyConfigs.qwen2();
    InMemoryTensorSource weights = InMemoryTensorSource.random(config, 31);
    int[] prompt = prompt(config, 32);
    int split = 17;
    try (LlamaModel model = load(config, weights);
         KvCache whole = model.newCache(64);
         KvCache chunked = model.newCache(64)) {
      float[][] expected = rows(model.forward(prompt, 0, whole));
      float[][] first = rows(model.forward(Arrays.copyOfRange(prompt, 0, split), 0, chunked));
      float[][] second = rows(model.forward(Arrays.copyOfRange(prompt, split, prompt.length), split, chunked));
      float[][] actual = new float[prompt.length][];
      System.arraycopy(first, 0, actual, 0, split);
      System.arraycopy(second, 0, actual, split, second.length);
      assertTrue(maxRelativeDifference(expected, actual) < 1e-5);
    }
  }

  @Test
  void forwardLastIsTheLastRowOfForward() {
    ModelConfig config = TinyConfigs.tied();
    InMemoryTensorSource weights = InMemoryTensorSource.random(config, 41);
    int[] prompt = prompt(config, 42);
    try (LlamaModel model = load(config, weights); KvCache a = model.newCache(64); KvCache b = model.newCache(64)) {
      float[][] all = rows(model.forward(prompt, 0, a));
      float[] last = model.forwardLast(prompt, 0, b);
      assertArrayEquals(all[prompt.length - 1], last, 1e-5f);
    }
  }

  @Test
  void aResetCacheServesTheNextSequence() {
    ModelConfig config = TinyConfigs.llama3();
    InMemoryTensorSource weights = InMemoryTensorSource.random(config, 51);
    int[] first = prompt(config, 52);
    int[] second = prompt(config, 53);
    try (LlamaModel model = load(config, weights); KvCache reused = model.newCache(64);
         KvCache fresh = model.newCache(64)) {
      model.forwardLast(first, 0, reused);
      reused.reset();
      assertArrayEquals(model.forwardLast(second, 0, fresh), model.forwardLast(second, 0, reused), 1e-6f);
    }
  }

  @Test
  void decodeStepsLeaveNoArraysBehind() {
    ModelConfig config = TinyConfigs.qwen2();
    try (LlamaModel model = load(config, InMemoryTensorSource.random(config, 71)); KvCache cache = model.newCache(64)) {
      model.forwardLast(prompt(config, 72), 0, cache);
      int before = runtime.manager().getManagedArrays().size();
      for (int p = PROMPT_LENGTH; p < 60; p++) {
        model.forwardLast(new int[] {p}, p, cache);
      }
      assertEquals(before, runtime.manager().getManagedArrays().size());
    }
  }

  @Test
  void aGapInPositionsOrAnOverflowIsRefused() {
    ModelConfig config = TinyConfigs.llama3();
    try (LlamaModel model = load(config, InMemoryTensorSource.random(config, 61)); KvCache cache = model.newCache(8)) {
      assertThrows(IllegalArgumentException.class, () -> model.forwardLast(new int[] {1, 2}, 3, cache));
      assertThrows(IllegalArgumentException.class, () -> model.forwardLast(new int[9], 0, cache));
      assertThrows(IllegalArgumentException.class, () -> model.forwardLast(new int[] {config.vocabSize()}, 0, cache));
    }
  }

  private static void assertMatchesReference(ModelConfig config, long seed) {
    InMemoryTensorSource weights = InMemoryTensorSource.random(config, seed);
    int[] prompt = prompt(config, seed + 1000);
    double[][] expected = new ReferenceLlama(config, weights, true).logits(prompt);
    try (LlamaModel model = load(config, weights); KvCache cache = model.newCache(64)) {
      assertEquals(DataType.FLOAT32, model.weights().dataType());
      float[][] actual = rows(model.forward(prompt, 0, cache));
      double diff = relativeDifference(expected, actual);
      assertTrue(diff < TOLERANCE, config.architecture() + ": max |diff| / max |logit| = " + diff);
    }
  }

  private static LlamaModel load(ModelConfig config, InMemoryTensorSource weights) {
    return LlamaModel.load(ORIGIN, weights, config, runtime, 128);
  }

  static int[] prompt(ModelConfig config, long seed) {
    SplittableRandom random = new SplittableRandom(seed);
    int[] tokens = new int[PROMPT_LENGTH];
    for (int i = 0; i < tokens.length; i++) {
      tokens[i] = random.nextInt(config.vocabSize());
    }
    return tokens;
  }

  /** Closes the NDArray and returns its rows. */
  private static float[][] rows(NDArray logits) {
    try (logits) {
      int t = (int) logits.getShape().get(0);
      int vocab = (int) logits.getShape().get(1);
      float[] flat = logits.toFloatArray();
      float[][] out = new float[t][];
      for (int p = 0; p < t; p++) {
        out[p] = Arrays.copyOfRange(flat, p * vocab, (p + 1) * vocab);
      }
      return out;
    }
  }

  /** Max over every position and token of |a - b|, over the largest |a|. */
  private static double relativeDifference(double[][] a, double[][] b) {
    double diff = 0;
    double scale = 0;
    for (int p = 0; p < a.length; p++) {
      for (int i = 0; i < a[p].length; i++) {
        diff = Math.max(diff, Math.abs(a[p][i] - b[p][i]));
        scale = Math.max(scale, Math.abs(a[p][i]));
      }
    }
    return diff / scale;
  }

  private static double relativeDifference(double[][] a, float[][] b) {
    return relativeDifference(a, toDouble(b));
  }

  private static double maxRelativeDifference(float[][] a, float[][] b) {
    return relativeDifference(toDouble(a), toDouble(b));
  }

  private static double[][] toDouble(float[][] a) {
    double[][] out = new double[a.length][];
    for (int p = 0; p < a.length; p++) {
      out[p] = new double[a[p].length];
      for (int i = 0; i < a[p].length; i++) {
        out[p][i] = a[p][i];
      }
    }
    return out;
  }
}
