package dev.twinmesh.worker.checkpoint;

/** Where a writer gets each tensor's values: a fresh stream per tensor, read front to back in chunks. */
@FunctionalInterface
public interface TensorContent {

  ValueStream open(TensorSpec spec);

  /** The values of one tensor in row-major order; the caller never asks for more than numel in total. */
  @FunctionalInterface
  interface ValueStream {
    /** Fills {@code dst[0..count)} with the next {@code count} values. */
    void next(float[] dst, int count);
  }
}
