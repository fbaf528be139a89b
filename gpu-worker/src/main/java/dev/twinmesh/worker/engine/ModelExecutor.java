package dev.twinmesh.worker.engine;

/**
 * Runs the model for one sequence at a time over its own KV cache. The only place in the engine that
 * reaches tensors; everything above it works on ints and floats.
 */
public interface ModelExecutor extends AutoCloseable {

  /** A sequence's cached keys and values for up to {@code capacity} tokens. */
  interface SequenceCache extends AutoCloseable {
    @Override
    void close();
  }

  SequenceCache newCache(int capacity);

  /** Appends {@code tokens} at positions {@code start..} to the cache and returns the last position's logits. */
  float[] forwardLast(int[] tokens, int start, SequenceCache cache);

  @Override
  void close();
}
