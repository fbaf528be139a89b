package dev.twinmesh.worker.model;

import dev.twinmesh.worker.engine.ModelExecutor;

/** Runs a {@link LlamaModel} for the engine, one sequence and its contiguous KV cache at a time. */
public final class LlamaExecutor implements ModelExecutor {
  private final LlamaModel model;

  public LlamaExecutor(LlamaModel model) {
    this.model = model;
  }

  @Override
  public SequenceCache newCache(int capacity) {
    return new Cache(model.newCache(capacity));
  }

  @Override
  public float[] forwardLast(int[] tokens, int start, SequenceCache cache) {
    return model.forwardLast(tokens, start, ((Cache) cache).kv);
  }

  @Override
  public void close() {
    model.close();
  }

  private record Cache(KvCache kv) implements SequenceCache {
    @Override
    public void close() {
      kv.close();
    }
  }
}
