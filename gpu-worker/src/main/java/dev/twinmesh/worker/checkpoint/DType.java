package dev.twinmesh.worker.checkpoint;

import java.nio.file.Path;

/** Element types as safetensors names them; only the float ones can be read as fp32. */
public enum DType {
  BOOL(1), U8(1), I8(1), F8_E5M2(1), F8_E4M3(1),
  I16(2), U16(2), F16(2), BF16(2),
  I32(4), U32(4), F32(4),
  I64(8), U64(8), F64(8);

  private final int byteSize;

  DType(int byteSize) {
    this.byteSize = byteSize;
  }

  public int byteSize() {
    return byteSize;
  }

  public boolean readableAsFloat32() {
    return this == F32 || this == F16 || this == BF16;
  }

  /** Parses a header dtype; the file and tensor go into the error so a bad shard can be found. */
  public static DType parse(String name, Path file, String tensor) {
    try {
      return valueOf(name);
    } catch (IllegalArgumentException | NullPointerException e) {
      throw new CheckpointException(file, "tensor " + tensor + ": unknown dtype " + name);
    }
  }

  /** Maps the writer's user-facing names ("fp32", "bf16", "fp16") onto dtypes. */
  public static DType fromTorchName(String name) {
    return switch (name.toLowerCase(java.util.Locale.ROOT)) {
      case "fp32", "float32", "f32" -> F32;
      case "bf16", "bfloat16" -> BF16;
      case "fp16", "float16", "f16" -> F16;
      default -> throw new IllegalArgumentException("unsupported dtype " + name + " (use fp32, bf16 or fp16)");
    };
  }

  /** The name config.json's torch_dtype uses. */
  public String torchName() {
    return switch (this) {
      case F32 -> "float32";
      case BF16 -> "bfloat16";
      case F16 -> "float16";
      default -> name().toLowerCase(java.util.Locale.ROOT);
    };
  }
}
