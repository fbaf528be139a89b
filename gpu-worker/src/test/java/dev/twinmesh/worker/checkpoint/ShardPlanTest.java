package dev.twinmesh.worker.checkpoint;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

class ShardPlanTest {

  @Test
  void llama8bInBf16SplitsIntoFourShardsOfAtMostFiveGigabytes() {
    List<TensorSpec> specs = LlamaTensors.specs(ModelPreset.LLAMA_3_1_8B.config(), DType.BF16);
    List<List<TensorSpec>> shards = CheckpointWriter.planShards(specs, CheckpointWriter.DEFAULT_SHARD_BYTES);
    assertEquals(4, shards.size());
    for (List<TensorSpec> shard : shards) {
      assertTrue(shard.stream().mapToLong(TensorSpec::byteSize).sum() <= CheckpointWriter.DEFAULT_SHARD_BYTES);
    }
    assertEquals(specs, shards.stream().flatMap(List::stream).toList());
    assertEquals("model-00002-of-00004.safetensors", CheckpointWriter.shardName(2, 4));
  }

  @Test
  void smallModelsStayInOneFileAndOversizedTensorsGetTheirOwnShard() {
    List<TensorSpec> small = LlamaTensors.specs(ModelPreset.SMOLLM2_135M.config(), DType.BF16);
    assertEquals(1, CheckpointWriter.planShards(small, CheckpointWriter.DEFAULT_SHARD_BYTES).size());
    List<TensorSpec> specs = List.of(
        new TensorSpec("a", DType.F32, new long[] {10}),
        new TensorSpec("big", DType.F32, new long[] {100}),
        new TensorSpec("b", DType.F32, new long[] {10}),
        new TensorSpec("c", DType.F32, new long[] {10}));
    List<List<TensorSpec>> shards = CheckpointWriter.planShards(specs, 100);
    assertEquals(List.of(List.of(specs.get(0)), List.of(specs.get(1)), List.of(specs.get(2), specs.get(3))), shards);
  }

  @Test
  void parameterCountsMatchThePublishedModels() {
    assertEquals(1_235_814_400L, ModelPreset.LLAMA_3_2_1B.config().parameterCount());
    assertEquals(8_030_261_248L, ModelPreset.LLAMA_3_1_8B.config().parameterCount());
    long tensorElements = LlamaTensors.specs(ModelPreset.LLAMA_3_1_8B.config(), DType.BF16).stream()
        .mapToLong(TensorSpec::numel).sum();
    assertEquals(ModelPreset.LLAMA_3_1_8B.config().parameterCount(), tensorElements);
  }
}
