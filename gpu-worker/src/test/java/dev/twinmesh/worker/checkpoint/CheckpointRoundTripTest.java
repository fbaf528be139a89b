package dev.twinmesh.worker.checkpoint;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.FloatBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CheckpointRoundTripTest {
  private static final long SEED = 42;

  @TempDir Path dir;

  @Test
  void fp32SingleFileReadsBackBitForBit() {
    ModelConfig config = RandomCheckpointWriter.write(ModelPreset.TINY, dir, SEED, "fp32", 1L << 40,
        WriteProgress.quiet());
    assertTrue(Files.exists(dir.resolve(Checkpoint.SINGLE_FILE)));
    assertFalse(Files.exists(dir.resolve(Checkpoint.INDEX_FILE)));
    assertAllTensorsMatch(LlamaTensors.specs(config, DType.F32), new RandomWeights(SEED), v -> v);
  }

  @Test
  void bf16ReadsBackAsTheRoundedValues() {
    ModelConfig config = RandomCheckpointWriter.write(ModelPreset.TINY, dir, SEED, "bf16", 1L << 40,
        WriteProgress.quiet());
    assertEquals("bfloat16", ModelConfigs.load(dir).torchDtype());
    assertAllTensorsMatch(LlamaTensors.specs(config, DType.BF16), new RandomWeights(SEED),
        v -> HalfFloats.bf16ToFloat(HalfFloats.floatToBf16(v)));
  }

  @Test
  void f16ReadsBackAsTheRoundedValues() {
    List<TensorSpec> specs = LlamaTensors.specs(ModelPreset.TINY.config(), DType.F16);
    CheckpointWriter.write(dir, specs, new RandomWeights(SEED), 1L << 40, WriteProgress.quiet());
    assertAllTensorsMatch(specs, new RandomWeights(SEED), v -> HalfFloats.f16ToFloat(HalfFloats.floatToF16(v)));
  }

  @Test
  void shardsLikeHuggingFaceAboveTheShardSize() {
    ModelConfig config = RandomCheckpointWriter.write(ModelPreset.TINY, dir, SEED, "fp32", 200_000,
        WriteProgress.quiet());
    List<TensorSpec> specs = LlamaTensors.specs(config, DType.F32);
    assertFalse(Files.exists(dir.resolve(Checkpoint.SINGLE_FILE)));
    JsonNode index = JsonFiles.read(dir.resolve(Checkpoint.INDEX_FILE));
    long total = specs.stream().mapToLong(TensorSpec::byteSize).sum();
    assertEquals(total, index.get("metadata").get("total_size").asLong());
    Set<String> shardFiles = new HashSet<>();
    index.get("weight_map").fields().forEachRemaining(e -> shardFiles.add(e.getValue().asText()));
    assertEquals(specs.size(), index.get("weight_map").size());
    int n = shardFiles.size();
    assertTrue(n > 2, "expected several shards, got " + n);
    for (int i = 1; i <= n; i++) {
      String name = String.format("model-%05d-of-%05d.safetensors", i, n);
      assertTrue(shardFiles.contains(name), name);
      long fileBytes = sizeOf(dir.resolve(name));
      assertTrue(fileBytes < 200_000 + 4096 || countTensorsIn(name, index) == 1, name + " too large");
    }
    assertAllTensorsMatch(specs, new RandomWeights(SEED), v -> v);
  }

  @Test
  void rewritingWithoutShardsRemovesTheOldShards() {
    RandomCheckpointWriter.write(ModelPreset.TINY, dir, SEED, "fp32", 200_000, WriteProgress.quiet());
    RandomCheckpointWriter.write(ModelPreset.TINY, dir, SEED, "fp32", 1L << 40, WriteProgress.quiet());
    assertFalse(Files.exists(dir.resolve(Checkpoint.INDEX_FILE)));
    assertFalse(Files.exists(dir.resolve(CheckpointWriter.shardName(1, 2))));
    try (Checkpoint checkpoint = Checkpoint.open(dir)) {
      assertTrue(checkpoint.has("lm_head.weight"));
    }
  }

  @Test
  void headerCarriesFormatMetadataAndAlignedData() {
    RandomCheckpointWriter.write(ModelPreset.TINY, dir, SEED, "fp32", 1L << 40, WriteProgress.quiet());
    try (SafetensorsFile file = SafetensorsFile.open(dir.resolve(Checkpoint.SINGLE_FILE))) {
      assertEquals(Map.of("format", "pt"), file.metadata());
      SafetensorsEntry embed = file.entry("model.embed_tokens.weight");
      assertArrayEquals(new long[] {1024, 64}, embed.shape());
      assertEquals(0, embed.begin());
    }
    long headerLength = java.nio.ByteBuffer.wrap(readBytes(dir.resolve(Checkpoint.SINGLE_FILE)), 0, 8)
        .order(java.nio.ByteOrder.LITTLE_ENDIAN).getLong();
    assertEquals(0, headerLength % 8);
  }

  @Test
  void sameSeedSameFilesOtherSeedOtherWeights(@TempDir Path again, @TempDir Path other) throws IOException {
    RandomCheckpointWriter.write(ModelPreset.TINY, dir, SEED, "bf16", 1L << 40, WriteProgress.quiet());
    RandomCheckpointWriter.write(ModelPreset.TINY, again, SEED, "bf16", 1L << 40, WriteProgress.quiet());
    RandomCheckpointWriter.write(ModelPreset.TINY, other, SEED + 1, "bf16", 1L << 40, WriteProgress.quiet());
    try (var files = Files.list(dir)) {
      for (Path file : files.toList()) {
        Path twin = again.resolve(file.getFileName());
        assertArrayEquals(Files.readAllBytes(file), Files.readAllBytes(twin), file.getFileName().toString());
      }
    }
    assertFalse(java.util.Arrays.equals(readBytes(dir.resolve(Checkpoint.SINGLE_FILE)),
        readBytes(other.resolve(Checkpoint.SINGLE_FILE))));
    assertArrayEquals(readBytes(dir.resolve("config.json")), readBytes(other.resolve("config.json")));
  }

  @Test
  void valuesDoNotDependOnChunking() {
    TensorSpec spec = new TensorSpec("model.layers.0.mlp.up_proj.weight", DType.F32, new long[] {10, 100});
    float[] whole = new float[1000];
    new RandomWeights(SEED).open(spec).next(whole, 1000);
    float[] chunked = new float[1000];
    TensorContent.ValueStream stream = new RandomWeights(SEED).open(spec);
    float[] piece = new float[7];
    for (int at = 0; at < 1000; at += 7) {
      int n = Math.min(7, 1000 - at);
      stream.next(piece, n);
      System.arraycopy(piece, 0, chunked, at, n);
    }
    assertArrayEquals(whole, chunked);
    double mean = 0;
    double sq = 0;
    for (float v : whole) {
      mean += v / 1000.0;
      sq += v * (double) v / 1000.0;
    }
    assertEquals(0.0, mean, 0.003);
    assertEquals(RandomWeights.STD, Math.sqrt(sq - mean * mean), 0.003);
  }

  private void assertAllTensorsMatch(List<TensorSpec> specs, TensorContent content, UnaryOperator<Float> stored) {
    try (Checkpoint checkpoint = Checkpoint.open(dir)) {
      assertEquals(specs.size(), checkpoint.names().size());
      for (TensorSpec spec : specs) {
        assertArrayEquals(spec.shape(), checkpoint.shape(spec.name()), spec.name());
        assertEquals(spec.dtype().name(), checkpoint.dtype(spec.name()));
        float[] expected = new float[(int) spec.numel()];
        content.open(spec).next(expected, expected.length);
        for (int i = 0; i < expected.length; i++) {
          expected[i] = stored.apply(expected[i]);
        }
        FloatBuffer actual = checkpoint.readFloat32(spec.name());
        assertTrue(actual.isDirect());
        assertEquals(java.nio.ByteOrder.LITTLE_ENDIAN, actual.order());
        float[] read = new float[actual.remaining()];
        actual.get(read);
        assertArrayEquals(expected, read, spec.name());
      }
    }
  }

  private static int countTensorsIn(String shard, JsonNode index) {
    int[] count = {0};
    index.get("weight_map").fields().forEachRemaining(e -> count[0] += e.getValue().asText().equals(shard) ? 1 : 0);
    return count[0];
  }

  private static long sizeOf(Path file) {
    try {
      return Files.size(file);
    } catch (IOException e) {
      throw new AssertionError(e);
    }
  }

  private static byte[] readBytes(Path file) {
    try {
      return Files.readAllBytes(file);
    } catch (IOException e) {
      throw new AssertionError(e);
    }
  }
}
