package dev.twinmesh.worker.checkpoint;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.FloatBuffer;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The writer and reader never hold a whole tensor's source data: values are pulled and mapped in bounded pieces. */
class StreamingTest {
  @TempDir Path dir;

  @Test
  void writerPullsValuesInBoundedChunksAndReportsEveryByte() {
    long numel = SafetensorsWriter.CHUNK_VALUES * 3L + 17;
    List<TensorSpec> specs = List.of(new TensorSpec("counting", DType.BF16, new long[] {numel}));
    long[] pulled = {0};
    int[] largestRequest = {0};
    TensorContent counting = spec -> (dst, count) -> {
      largestRequest[0] = Math.max(largestRequest[0], count);
      for (int i = 0; i < count; i++) {
        dst[i] = (pulled[0]++ % 256);
      }
    };
    long[] reported = {0};
    long[] announced = {0};
    CheckpointWriter.write(dir, specs, counting, 1L << 40, new WriteProgress() {
      @Override public void started(long totalBytes) { announced[0] = totalBytes; }
      @Override public void advanced(long bytes) { reported[0] += bytes; }
      @Override public void finished() {}
    });
    assertEquals(numel, pulled[0]);
    assertTrue(largestRequest[0] <= SafetensorsWriter.CHUNK_VALUES);
    assertEquals(numel * 2, announced[0]);
    assertEquals(numel * 2, reported[0]);
    try (Checkpoint checkpoint = Checkpoint.open(dir)) {
      FloatBuffer values = checkpoint.readFloat32("counting");
      for (int i = 0; i < numel; i++) {
        assertEquals(i % 256, values.get(i), 0.0f);
      }
    }
  }

  @Test
  void readingThroughSmallWindowsGivesTheSameTensor() {
    List<TensorSpec> specs = List.of(
        new TensorSpec("f32", DType.F32, new long[] {333, 7}),
        new TensorSpec("bf16", DType.BF16, new long[] {1001}),
        new TensorSpec("f16", DType.F16, new long[] {3, 5, 67}));
    CheckpointWriter.write(dir, specs, new RandomWeights(3), 1L << 40, WriteProgress.quiet());
    try (SafetensorsFile file = SafetensorsFile.open(dir.resolve(Checkpoint.SINGLE_FILE))) {
      for (TensorSpec spec : specs) {
        assertEquals(Float32Reader.read(file, spec.name()), Float32Reader.read(file, spec.name(), 4096), spec.name());
        assertEquals(Float32Reader.read(file, spec.name()), Float32Reader.read(file, spec.name(), 12), spec.name());
      }
    }
  }
}
