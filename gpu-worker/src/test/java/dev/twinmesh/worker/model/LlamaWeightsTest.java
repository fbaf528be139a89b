package dev.twinmesh.worker.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import dev.twinmesh.worker.checkpoint.CheckpointException;
import dev.twinmesh.worker.checkpoint.ModelConfig;
import java.lang.management.BufferPoolMXBean;
import java.lang.management.ManagementFactory;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class LlamaWeightsTest {

  private static final Path ORIGIN = Path.of("/models/tiny");
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
  void everyTensorLandsOnTheDeviceWithTheConfiguredShape() {
    ModelConfig config = TinyConfigs.qwen2();
    InMemoryTensorSource source = InMemoryTensorSource.random(config, 1);
    try (LlamaWeights weights = load(source, config)) {
      assertEquals(2, weights.layers().size());
      assertEquals(new Shape(1024, 64), weights.embedTokens().getShape());
      LlamaWeights.Layer layer = weights.layers().get(1);
      assertEquals(new Shape(64, 64), layer.qProj().getShape());
      assertEquals(new Shape(32, 64), layer.kProj().getShape());
      assertEquals(new Shape(32), layer.vProjBias().getShape());
      assertEquals(new Shape(64, 176), layer.downProj().getShape());
      assertEquals(DataType.FLOAT32, layer.gateProj().getDataType());
      float[] expected = source.get("model.layers.1.self_attn.k_proj.bias");
      assertEquals(expected[5], layer.kProjBias().toFloatArray()[5]);
    }
  }

  @Test
  void fusedProjectionsHoldTheHuggingFaceTensorsAndShareTheirStorage() {
    ModelConfig config = TinyConfigs.qwen2();
    InMemoryTensorSource source = InMemoryTensorSource.random(config, 3);
    try (LlamaWeights weights = load(source, config)) {
      LlamaWeights.Layer layer = weights.layers().get(0);
      assertEquals(new Shape(64 + 2 * 32, 64), layer.qkvProj().getShape());
      assertEquals(new Shape(2 * 176, 64), layer.gateUpProj().getShape());
      assertArrayEquals(source.get("model.layers.0.self_attn.v_proj.weight"), layer.vProj().toFloatArray());
      assertArrayEquals(source.get("model.layers.0.self_attn.k_proj.bias"), layer.kProjBias().toFloatArray());
      assertArrayEquals(source.get("model.layers.0.mlp.up_proj.weight"), layer.upProj().toFloatArray());
      // the Hugging Face tensors are views: a write through the fused tensor shows in them
      layer.gateUpProj().muli(2);
      assertEquals(2 * source.get("model.layers.0.mlp.up_proj.weight")[7], layer.upProj().toFloatArray()[7]);
    }
  }

  @Test
  void tensorsStagedInRowChunksArriveWhole() {
    ModelConfig config = TinyConfigs.llama3();
    InMemoryTensorSource source = InMemoryTensorSource.random(config, 9);
    // 1000 bytes: the embedding crosses in 3-row chunks, a norm vector in one
    try (LlamaWeights weights = LlamaWeights.load(ORIGIN, source, config, runtime.manager(), runtime.weightType(), 1000)) {
      assertArrayEquals(source.get("model.embed_tokens.weight"), weights.embedTokens().toFloatArray());
      assertArrayEquals(source.get("model.layers.1.mlp.down_proj.weight"), weights.layers().get(1).downProj().toFloatArray());
      assertArrayEquals(source.get("model.norm.weight"), weights.norm().toFloatArray());
    }
  }

  @Test
  void cpuWeightsDoNotPinJavaDirectMemory() throws InterruptedException {
    // Direct buffers count against -XX:MaxDirectMemorySize (the heap size by default): a CPU model
    // held in them could not outgrow the heap.
    ModelConfig config = TinyConfigs.llama3();
    InMemoryTensorSource source = InMemoryTensorSource.random(config, 10);
    long weightBytes = config.parameterCount() * Float.BYTES;
    long before = directMemoryAfterGc();
    try (LlamaWeights weights = load(source, config)) {
      long pinned = directMemoryAfterGc() - before;
      assertTrue(pinned < weightBytes / 2, pinned + " bytes of direct memory held by " + weightBytes + " bytes of weights");
    }
  }

  private static long directMemoryAfterGc() throws InterruptedException {
    BufferPoolMXBean direct = ManagementFactory.getPlatformMXBeans(BufferPoolMXBean.class).stream()
        .filter(pool -> pool.getName().equals("direct")).findFirst().orElseThrow();
    long used = Long.MAX_VALUE;
    // Cleaners run after collection; a few rounds let freed buffers settle.
    for (int round = 0; round < 5; round++) {
      System.gc();
      Thread.sleep(20);
      used = Math.min(used, direct.getMemoryUsed());
    }
    return used;
  }

  @Test
  void tiedEmbeddingsReuseTheEmbeddingAsLmHead() {
    ModelConfig config = TinyConfigs.tied();
    try (LlamaWeights weights = load(InMemoryTensorSource.random(config, 2), config)) {
      assertSame(weights.embedTokens(), weights.lmHead());
    }
  }

  @Test
  void aMissingTensorIsNamed() {
    ModelConfig config = TinyConfigs.llama3();
    InMemoryTensorSource source = InMemoryTensorSource.random(config, 3);
    source.remove("model.layers.1.mlp.up_proj.weight");
    CheckpointException e = assertThrows(CheckpointException.class, () -> load(source, config));
    assertTrue(e.getMessage().contains("missing tensor model.layers.1.mlp.up_proj.weight"), e.getMessage());
    assertTrue(e.getMessage().startsWith(ORIGIN.toString()), e.getMessage());
  }

  @Test
  void aMisshapenTensorIsNamedWithBothShapes() {
    ModelConfig config = TinyConfigs.llama3();
    InMemoryTensorSource source = InMemoryTensorSource.random(config, 4);
    source.put("model.layers.0.self_attn.k_proj.weight", new float[64 * 64], 64, 64);
    CheckpointException e = assertThrows(CheckpointException.class, () -> load(source, config));
    assertTrue(e.getMessage().contains("model.layers.0.self_attn.k_proj.weight has shape [64, 64]"), e.getMessage());
    assertTrue(e.getMessage().contains("expects [32, 64]"), e.getMessage());
  }

  @Test
  void anUntiedCheckpointWithoutLmHeadIsRefused() {
    ModelConfig config = TinyConfigs.llama3();
    InMemoryTensorSource source = InMemoryTensorSource.random(config, 5);
    source.remove("lm_head.weight");
    CheckpointException e = assertThrows(CheckpointException.class, () -> load(source, config));
    assertTrue(e.getMessage().contains("lm_head.weight"), e.getMessage());
  }

  @Test
  void biasesTheConfigDoesNotDeclareAreRefused() {
    ModelConfig qwen = TinyConfigs.qwen2();
    InMemoryTensorSource source = InMemoryTensorSource.random(qwen, 6);
    CheckpointException e = assertThrows(CheckpointException.class, () -> load(source, TinyConfigs.mistral()));
    assertTrue(e.getMessage().contains("model.layers.0.self_attn.q_proj.bias"), e.getMessage());
  }

  @Test
  void anUnsupportedArchitectureIsRefusedByName() {
    ModelConfig llama = TinyConfigs.llama3();
    ModelConfig gemma = new ModelConfig("GemmaForCausalLM", "gemma", 64, 176, 2, 4, 2, 16, 1024, 256, 1e-6, 10000,
        null, true, false, 2, List.of(1), "float32");
    CheckpointException e = assertThrows(CheckpointException.class,
        () -> load(InMemoryTensorSource.random(llama, 8), gemma));
    assertTrue(e.getMessage().contains("GemmaForCausalLM is not supported"), e.getMessage());
  }

  @Test
  void aFailedLoadLeavesNoArraysBehind() {
    ModelConfig config = TinyConfigs.llama3();
    InMemoryTensorSource source = InMemoryTensorSource.random(config, 7);
    source.remove("model.norm.weight");
    int before = runtime.manager().getManagedArrays().size();
    assertThrows(CheckpointException.class, () -> load(source, config));
    assertEquals(before, runtime.manager().getManagedArrays().size());
  }

  private static LlamaWeights load(InMemoryTensorSource source, ModelConfig config) {
    return LlamaWeights.load(ORIGIN, source, config, runtime.manager(), runtime.weightType());
  }
}
