package dev.twinmesh.worker.checkpoint;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CorruptCheckpointTest {
  @TempDir Path dir;

  @Test
  void absurdHeaderLengthIsRefused() throws IOException {
    Path file = write(ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN).putLong(Long.MAX_VALUE / 3).array());
    assertFails(file, "header length");
  }

  @Test
  void headerLongerThanTheFileIsATruncation() throws IOException {
    Path file = write(withHeader("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}", 4, 1000));
    assertFails(file, "truncated");
  }

  @Test
  void headerThatIsNotJsonIsRefused() throws IOException {
    Path file = write(withHeader("{\"a\": [1, 2", 0, 0));
    assertFails(file, "not valid JSON");
  }

  @Test
  void truncatedDataNamesTheLastTensor() throws IOException {
    RandomCheckpointWriter.write(ModelPreset.TINY, dir, 1, "fp32", 1L << 40, WriteProgress.quiet());
    Path file = dir.resolve(Checkpoint.SINGLE_FILE);
    byte[] bytes = Files.readAllBytes(file);
    Files.write(file, Arrays.copyOf(bytes, bytes.length - 100));
    CheckpointException e = assertThrows(CheckpointException.class, () -> Checkpoint.open(dir));
    assertTrue(e.getMessage().contains(file.toString()), e.getMessage());
    assertTrue(e.getMessage().contains("lm_head.weight"), e.getMessage());
  }

  @Test
  void offsetsOutsideTheDataNameTheTensor() throws IOException {
    Path file = write(withHeader(
        "{\"ok\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
            + "\"bad\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[8,16]}}", 8, 0));
    assertFails(file, "bad");
  }

  @Test
  void overlappingTensorsAreRefused() throws IOException {
    Path file = write(withHeader(
        "{\"first\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
            + "\"second\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[4,12]}}", 12, 0));
    CheckpointException e = assertFails(file, "overlaps");
    assertTrue(e.getMessage().contains("second") && e.getMessage().contains("first"), e.getMessage());
  }

  @Test
  void sizeThatDisagreesWithTheShapeNamesTheTensor() throws IOException {
    Path file = write(withHeader("{\"w\":{\"dtype\":\"BF16\",\"shape\":[3],\"data_offsets\":[0,8]}}", 8, 0));
    CheckpointException e = assertFails(file, "w");
    assertTrue(e.getMessage().contains("needs 6"), e.getMessage());
  }

  @Test
  void unknownDtypeNamesTheTensor() throws IOException {
    Path file = write(withHeader("{\"w\":{\"dtype\":\"F12\",\"shape\":[1],\"data_offsets\":[0,2]}}", 2, 0));
    assertFails(file, "w");
  }

  @Test
  void shardMissingFromTheIndexIsNamed() throws IOException {
    RandomCheckpointWriter.write(ModelPreset.TINY, dir, 1, "fp32", 200_000, WriteProgress.quiet());
    Path shard = dir.resolve(CheckpointWriter.shardName(2, countShards()));
    Files.delete(shard);
    CheckpointException e = assertThrows(CheckpointException.class, () -> Checkpoint.open(dir));
    assertTrue(e.getMessage().contains(shard.getFileName().toString()), e.getMessage());
  }

  @Test
  void emptyDirectoryHasNoWeights() {
    CheckpointException e = assertThrows(CheckpointException.class, () -> Checkpoint.open(dir));
    assertTrue(e.getMessage().contains("model.safetensors"), e.getMessage());
  }

  @Test
  void integerTensorsCannotBeReadAsFloat() throws IOException {
    Path file = write(withHeader("{\"ids\":{\"dtype\":\"I64\",\"shape\":[1],\"data_offsets\":[0,8]}}", 8, 0));
    Files.move(file, dir.resolve(Checkpoint.SINGLE_FILE));
    try (Checkpoint checkpoint = Checkpoint.open(dir)) {
      CheckpointException e = assertThrows(CheckpointException.class, () -> checkpoint.readFloat32("ids"));
      assertTrue(e.getMessage().contains("ids") && e.getMessage().contains("I64"), e.getMessage());
    }
  }

  private int countShards() throws IOException {
    try (var files = Files.list(dir)) {
      return (int) files.filter(f -> f.getFileName().toString().matches("model-\\d+-of-\\d+\\.safetensors")).count();
    }
  }

  private CheckpointException assertFails(Path file, String expected) {
    CheckpointException e = assertThrows(CheckpointException.class, () -> SafetensorsFile.open(file).close());
    assertTrue(e.getMessage().contains(file.toString()), e.getMessage());
    assertTrue(e.getMessage().contains(expected), e.getMessage());
    return e;
  }

  private Path write(byte[] bytes) throws IOException {
    Path file = dir.resolve("broken.safetensors");
    Files.write(file, bytes);
    return file;
  }

  /** A header of the given text, then {@code dataBytes} zero bytes; {@code extraLength} overstates the length. */
  private static byte[] withHeader(String json, int dataBytes, int extraLength) {
    byte[] header = json.getBytes(StandardCharsets.UTF_8);
    return ByteBuffer.allocate(8 + header.length + dataBytes).order(ByteOrder.LITTLE_ENDIAN)
        .putLong(header.length + extraLength).put(header).array();
  }
}
