package dev.twinmesh.worker.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import dev.twinmesh.worker.checkpoint.ModelConfig;

/**
 * Keys and values of every running sequence in fixed-size blocks, shared through block tables.
 * Slot {@code block * blockSize + offset} holds one position; which slots belong to which sequence
 * is the block manager's business, not this class's.
 */
public final class PagedKvCache implements AutoCloseable {

  private final NDManager manager;
  // Rows flattened to [kvHeads*headDim]: gathering whole rows of a 2-D tensor is a row copy, about three
  // times faster in PyTorch than the same gather over [slots, kvHeads, headDim].
  private final NDArray[] keys;   // per layer [numBlocks*blockSize, kvHeads*headDim]
  private final NDArray[] values; // per layer [numBlocks*blockSize, kvHeads*headDim]
  private final int numBlocks;
  private final int blockSize;
  private final long kvHeads;
  private final long headDim;

  private PagedKvCache(NDManager manager, NDArray[] keys, NDArray[] values, int numBlocks, int blockSize,
                       long kvHeads, long headDim) {
    this.kvHeads = kvHeads;
    this.headDim = headDim;
    this.manager = manager;
    this.keys = keys;
    this.values = values;
    this.numBlocks = numBlocks;
    this.blockSize = blockSize;
  }

  public static PagedKvCache allocate(ModelConfig config, int numBlocks, int blockSize, NDManager parent,
                                      DataType type) {
    if (numBlocks <= 0 || blockSize <= 0) {
      throw new IllegalArgumentException("need positive numBlocks and blockSize, got " + numBlocks + ", " + blockSize);
    }
    NDManager manager = parent.newSubManager();
    Shape shape = new Shape((long) numBlocks * blockSize, (long) config.numKeyValueHeads() * config.headDim());
    NDArray[] keys = new NDArray[config.numHiddenLayers()];
    NDArray[] values = new NDArray[config.numHiddenLayers()];
    for (int i = 0; i < keys.length; i++) {
      keys[i] = manager.zeros(shape, type);
      values[i] = manager.zeros(shape, type);
    }
    return new PagedKvCache(manager, keys, values, numBlocks, blockSize, config.numKeyValueHeads(), config.headDim());
  }

  /** Rows of the cache at the given slots [N] (int64): build once per step, use in every layer. */
  public static NDIndex slotRows(NDArray slots) {
    return new NDIndex("{}", slots);
  }

  /** Stores k and v [N, kvHeads, headDim] of one layer in the given slots [N] (int64). */
  public void write(int layer, NDArray slots, NDArray k, NDArray v) {
    write(layer, slotRows(slots), k, v);
  }

  /** As above, at rows from {@link #slotRows}. */
  public void write(int layer, NDIndex rows, NDArray k, NDArray v) {
    long n = k.getShape().get(0);
    keys[layer].set(rows, k.reshape(n, kvHeads * headDim));
    values[layer].set(rows, v.reshape(n, kvHeads * headDim));
  }

  /** Keys in the given slots [L] (int64), gathered on {@code step}: [L, kvHeads, headDim]. */
  public NDArray keys(NDManager step, int layer, NDArray slots) {
    return keys(step, layer, slotRows(slots));
  }

  /** Keys at rows from {@link #slotRows}, gathered on {@code step}: [L, kvHeads, headDim]. */
  public NDArray keys(NDManager step, int layer, NDIndex rows) {
    return gather(step, keys[layer], rows);
  }

  /** Values in the given slots [L] (int64), gathered on {@code step}: [L, kvHeads, headDim]. */
  public NDArray values(NDManager step, int layer, NDArray slots) {
    return values(step, layer, slotRows(slots));
  }

  /** Values at rows from {@link #slotRows}, gathered on {@code step}: [L, kvHeads, headDim]. */
  public NDArray values(NDManager step, int layer, NDIndex rows) {
    return gather(step, values[layer], rows);
  }

  private NDArray gather(NDManager step, NDArray rowsOfLayer, NDIndex rows) {
    NDArray gathered = rowsOfLayer.get(step, rows);                                     // [L, kvHeads*headDim]
    return gathered.reshape(gathered.getShape().get(0), kvHeads, headDim);
  }

  public int numBlocks() {
    return numBlocks;
  }

  public int blockSize() {
    return blockSize;
  }

  public long numSlots() {
    return (long) numBlocks * blockSize;
  }

  @Override
  public void close() {
    manager.close();
  }
}
