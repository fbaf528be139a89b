package dev.twinmesh.worker.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import dev.twinmesh.worker.checkpoint.ModelConfig;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * A serving worker holds its model once: in fp32 on CPU the decoder multiplies by packed copies, and
 * the plain projections are freed; the paged path gives the same logits without them.
 */
class ServingWeightsTest {

  private static final int BLOCK_SIZE = 4;

  private static DjlRuntime runtime;
  private static ModelConfig config;

  @BeforeAll
  static void start() {
    runtime = DjlRuntime.start(new DjlRuntime.Options("cpu", 1));
    config = TinyConfigs.qwen2(); // q/k/v biases: the bias is added after the packed product
  }

  @AfterAll
  static void stop() {
    runtime.close();
  }

  @Test
  void releasingThePlainWeightsFreesTheProjectionsAndLeavesThePagedLogitsAsTheyWere() {
    try (LlamaModel model = load(DataType.FLOAT32)) {
      float[] before = promptLogits(model);
      model.releaseReferenceWeights();
      LlamaWeights.Layer first = model.weights().layers().get(0);
      assertTrue(first.qkvProj().isReleased() && first.qProj().isReleased() && first.downProj().isReleased(),
          "plain projections still held");
      assertFalse(first.inputLayernorm().isReleased() || model.weights().embedTokens().isReleased(),
          "the norms and the embedding are still read");
      assertArrayEquals(before, promptLogits(model), 0f);
      IllegalStateException e = assertThrows(IllegalStateException.class,
          () -> model.forwardLast(new int[] {1, 2}, 0, model.newCache(8)));
      assertTrue(e.getMessage().contains("plain weights"), e.getMessage());
    }
  }

  @Test
  void withoutPackedCopiesNothingIsReleased() {
    try (LlamaModel model = load(DataType.FLOAT16)) { // the CUDA numerics: plain products
      float[] before = promptLogits(model);
      model.releaseReferenceWeights();
      assertFalse(model.weights().layers().get(0).qkvProj().isReleased());
      assertArrayEquals(before, promptLogits(model), 0f);
      try (KvCache cache = model.newCache(8)) {
        assertEquals(config.vocabSize(), model.forwardLast(new int[] {1, 2}, 0, cache).length);
      }
    }
  }

  private static LlamaModel load(DataType type) {
    return LlamaModel.load(Path.of("in-memory"), InMemoryTensorSource.random(config, 17), config, runtime.manager(),
        type, 64);
  }

  /** The last position's logits of a 6-token prompt run through the paged path on a fresh cache. */
  private static float[] promptLogits(LlamaModel model) {
    int[] prompt = LlamaModelTest.prompt(config, 5);
    int n = 6;
    int[] ids = new int[n];
    int[] positions = new int[n];
    int[] slots = new int[n];
    int[] table = {3, 1};
    for (int i = 0; i < n; i++) {
      ids[i] = prompt[i];
      positions[i] = i;
      slots[i] = table[i / BLOCK_SIZE] * BLOCK_SIZE + i % BLOCK_SIZE;
    }
    BatchInput batch = new BatchInput(ids, positions, slots, new int[] {n}, new int[] {n}, new int[][] {table});
    try (PagedKvCache cache = model.newPagedCache(4, BLOCK_SIZE); NDArray logits = model.forward(batch, cache)) {
      return logits.toFloatArray();
    }
  }
}
