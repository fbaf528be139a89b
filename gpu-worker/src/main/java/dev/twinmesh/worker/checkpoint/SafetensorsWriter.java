package dev.twinmesh.worker.checkpoint;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.Map;

/**
 * Writes one safetensors file in a single pass: the header is fixed by the tensor specs alone, then
 * each tensor's values stream through a small buffer, so memory stays constant whatever the size.
 */
public final class SafetensorsWriter {
  /** Values pulled from a stream per step; 1 MiB of fp32. */
  static final int CHUNK_VALUES = 256 * 1024;

  private SafetensorsWriter() {}

  /** The header bytes, padded with spaces to a multiple of 8 as the reference writer does, so data stays aligned. */
  static byte[] header(List<TensorSpec> specs, Map<String, String> metadata) {
    ObjectNode header = JsonFiles.MAPPER.createObjectNode();
    if (!metadata.isEmpty()) {
      ObjectNode meta = header.putObject("__metadata__");
      metadata.forEach(meta::put);
    }
    long offset = 0;
    for (TensorSpec spec : specs) {
      ObjectNode entry = header.putObject(spec.name());
      entry.put("dtype", spec.dtype().name());
      var shape = entry.putArray("shape");
      for (long d : spec.shape()) {
        shape.add(d);
      }
      entry.putArray("data_offsets").add(offset).add(offset + spec.byteSize());
      offset += spec.byteSize();
    }
    byte[] json = header.toString().getBytes(StandardCharsets.UTF_8);
    int padded = (json.length + 7) / 8 * 8;
    byte[] out = new byte[padded];
    System.arraycopy(json, 0, out, 0, json.length);
    java.util.Arrays.fill(out, json.length, padded, (byte) ' ');
    return out;
  }

  public static void write(Path file, List<TensorSpec> specs, Map<String, String> metadata,
                           TensorContent content, WriteProgress progress) {
    for (TensorSpec spec : specs) {
      if (!spec.dtype().readableAsFloat32()) {
        throw new IllegalArgumentException(spec + ": only F32, BF16 and F16 can be written");
      }
    }
    byte[] header = header(specs, metadata);
    try (FileChannel channel = FileChannel.open(file, StandardOpenOption.CREATE,
        StandardOpenOption.TRUNCATE_EXISTING, StandardOpenOption.WRITE)) {
      ByteBuffer buffer = ByteBuffer.allocateDirect(CHUNK_VALUES * 4).order(ByteOrder.LITTLE_ENDIAN);
      buffer.putLong(header.length).put(header);
      drain(channel, buffer);
      float[] values = new float[CHUNK_VALUES];
      for (TensorSpec spec : specs) {
        writeTensor(channel, buffer, values, spec, content.open(spec), progress);
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write " + file, e);
    }
  }

  private static void writeTensor(FileChannel channel, ByteBuffer buffer, float[] values, TensorSpec spec,
                                  TensorContent.ValueStream stream, WriteProgress progress) throws IOException {
    long remaining = spec.numel();
    while (remaining > 0) {
      int n = (int) Math.min(values.length, remaining);
      stream.next(values, n);
      encode(spec.dtype(), values, n, buffer);
      drain(channel, buffer);
      progress.advanced((long) n * spec.dtype().byteSize());
      remaining -= n;
    }
  }

  private static void encode(DType dtype, float[] values, int n, ByteBuffer buffer) {
    switch (dtype) {
      case F32 -> {
        buffer.asFloatBuffer().put(values, 0, n);
        buffer.position(buffer.position() + n * 4);
      }
      case BF16 -> {
        for (int i = 0; i < n; i++) {
          buffer.putShort(HalfFloats.floatToBf16(values[i]));
        }
      }
      case F16 -> {
        for (int i = 0; i < n; i++) {
          buffer.putShort(HalfFloats.floatToF16(values[i]));
        }
      }
      default -> throw new IllegalStateException(dtype.toString());
    }
  }

  private static void drain(FileChannel channel, ByteBuffer buffer) throws IOException {
    buffer.flip();
    while (buffer.hasRemaining()) {
      channel.write(buffer);
    }
    buffer.clear();
  }
}
