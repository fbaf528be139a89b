package dev.twinmesh.worker.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import dev.twinmesh.worker.checkpoint.ModelConfig;

/**
 * Keys and values of one sequence, preallocated per layer. Positions [0, length) are valid.
 * Writes use in-place {@code set}: with DJL on PyTorch a {@code copyTo} into a slice does not write
 * through to the backing tensor.
 */
public final class KvCache implements AutoCloseable {

  private final NDManager manager;
  private final NDArray[] keys;   // per layer [capacity, kvHeads, headDim]
  private final NDArray[] values; // per layer [capacity, kvHeads, headDim]
  private final int capacity;
  private int length;

  private KvCache(NDManager manager, NDArray[] keys, NDArray[] values, int capacity) {
    this.manager = manager;
    this.keys = keys;
    this.values = values;
    this.capacity = capacity;
  }

  public static KvCache allocate(ModelConfig config, int capacity, NDManager parent, DataType type) {
    if (capacity <= 0) {
      throw new IllegalArgumentException("KV cache capacity must be positive, got " + capacity);
    }
    NDManager manager = parent.newSubManager();
    int layers = config.numHiddenLayers();
    Shape shape = new Shape(capacity, config.numKeyValueHeads(), config.headDim());
    NDArray[] keys = new NDArray[layers];
    NDArray[] values = new NDArray[layers];
    for (int i = 0; i < layers; i++) {
      keys[i] = manager.zeros(shape, type);
      values[i] = manager.zeros(shape, type);
    }
    return new KvCache(manager, keys, values, capacity);
  }

  /** Stores k and v [T, kvHeads, headDim] of one layer at positions start..start+T-1. */
  public void write(int layer, int start, NDArray k, NDArray v) {
    long t = k.getShape().get(0);
    checkRange(start, t);
    NDIndex rows = new NDIndex("{}:{}", start, start + t);
    keys[layer].set(rows, k);
    values[layer].set(rows, v);
  }

  /** Keys of positions [0, count) as a view on {@code step}: [count, kvHeads, headDim]. */
  public NDArray keys(NDManager step, int layer, int count) {
    return keys[layer].get(step, new NDIndex(":{}", count));
  }

  /** Values of positions [0, count) as a view on {@code step}: [count, kvHeads, headDim]. */
  public NDArray values(NDManager step, int layer, int count) {
    return values[layer].get(step, new NDIndex(":{}", count));
  }

  /** Validates that T tokens may be written from start: no gap after the cached prefix, no overflow. */
  public void checkRange(int start, long t) {
    if (start < 0 || start > length) {
      throw new IllegalArgumentException("start position " + start + " leaves a gap: cache holds " + length);
    }
    if (start + t > capacity) {
      throw new IllegalArgumentException("positions up to " + (start + t) + " exceed KV cache capacity " + capacity);
    }
  }

  /** Marks positions [0, newLength) valid; later positions are stale and will be overwritten. */
  public void setLength(int newLength) {
    if (newLength < 0 || newLength > capacity) {
      throw new IllegalArgumentException("length " + newLength + " outside [0, " + capacity + "]");
    }
    length = newLength;
  }

  public int length() {
    return length;
  }

  public int capacity() {
    return capacity;
  }

  /** Forgets every position; the memory stays allocated for the next sequence. */
  public void reset() {
    length = 0;
  }

  @Override
  public void close() {
    manager.close();
  }
}
