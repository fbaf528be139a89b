package dev.twinmesh.worker.checkpoint;

import java.nio.FloatBuffer;
import java.util.Set;

/**
 * Named tensors of a checkpoint, whatever their files (one safetensors file, sharded files behind
 * {@code model.safetensors.index.json}) or their stored dtype (fp32, fp16, bf16).
 */
public interface TensorSource extends AutoCloseable {

  Set<String> names();

  boolean has(String name);

  /** Shape as stored, e.g. [out, in] for a Hugging Face linear weight. */
  long[] shape(String name);

  /** Stored dtype name as safetensors writes it: F32, F16, BF16. */
  String dtype(String name);

  /** The tensor converted to fp32, row-major, in a direct little-endian buffer. */
  FloatBuffer readFloat32(String name);

  @Override
  void close();
}
