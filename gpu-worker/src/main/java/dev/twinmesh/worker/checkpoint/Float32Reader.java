package dev.twinmesh.worker.checkpoint;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.ShortBuffer;

/** Converts one stored tensor to fp32, a mapped window at a time so no mapping passes 2 GiB. */
final class Float32Reader {
  /** Small enough to map anywhere, large enough that per-window overhead vanishes. */
  static final int WINDOW_BYTES = 64 * 1024 * 1024;

  private Float32Reader() {}

  static FloatBuffer read(SafetensorsFile file, String name) {
    return read(file, name, WINDOW_BYTES);
  }

  /** {@code windowBytes} must be a multiple of 4 so no element straddles two windows. */
  static FloatBuffer read(SafetensorsFile file, String name, int windowBytes) {
    SafetensorsEntry entry = file.entry(name);
    if (!entry.dtype().readableAsFloat32()) {
      throw new CheckpointException(file.path(), "tensor " + name + ": dtype " + entry.dtype()
          + " cannot be read as fp32");
    }
    long outBytes = entry.numel() * 4;
    if (outBytes > Integer.MAX_VALUE) {
      throw new CheckpointException(file.path(), "tensor " + name + ": " + outBytes
          + " bytes as fp32 exceed one buffer");
    }
    FloatBuffer out = ByteBuffer.allocateDirect((int) outBytes).order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer();
    long size = entry.byteSize();
    for (long offset = 0; offset < size; offset += windowBytes) {
      int length = (int) Math.min(windowBytes, size - offset);
      convert(entry.dtype(), file.map(name, offset, length), out);
    }
    return out.flip();
  }

  private static void convert(DType dtype, ByteBuffer window, FloatBuffer out) {
    switch (dtype) {
      case F32 -> out.put(window.asFloatBuffer());
      case BF16 -> convertBf16(window.asShortBuffer(), out);
      case F16 -> convertF16(window.asShortBuffer(), out);
      default -> throw new IllegalStateException(dtype.toString());
    }
  }

  private static void convertBf16(ShortBuffer in, FloatBuffer out) {
    float[] chunk = new float[8192];
    short[] raw = new short[chunk.length];
    while (in.hasRemaining()) {
      int n = Math.min(raw.length, in.remaining());
      in.get(raw, 0, n);
      for (int i = 0; i < n; i++) {
        chunk[i] = Float.intBitsToFloat((raw[i] & 0xffff) << 16);
      }
      out.put(chunk, 0, n);
    }
  }

  private static void convertF16(ShortBuffer in, FloatBuffer out) {
    float[] chunk = new float[8192];
    short[] raw = new short[chunk.length];
    while (in.hasRemaining()) {
      int n = Math.min(raw.length, in.remaining());
      in.get(raw, 0, n);
      for (int i = 0; i < n; i++) {
        chunk[i] = HalfFloats.f16ToFloat(raw[i]);
      }
      out.put(chunk, 0, n);
    }
  }
}
