package dev.twinmesh.worker.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import dev.twinmesh.worker.checkpoint.ModelConfig;

/**
 * Keys and values of every running sequence in fixed-size blocks, shared through block tables.
 * Slot {@code block * blockSize + offset} holds one position; which slots belong to which sequence
 * is the block manager's business, not this class's. {@link ScriptedDecoder} writes and reads it.
 *
 * <p>Each layer's pool is laid out head-major, [kvHeads, slots, headDim]: the blocks of a sequence,
 * gathered along the slot axis, come out as [kvHeads, sequences, positions, headDim], which the
 * attention products take as batches of plain matrices, with no second copy to reorder the heads.
 */
public final class PagedKvCache implements AutoCloseable {

  private final NDManager manager;
  private final NDArray[] keys;   // per layer [kvHeads, numBlocks*blockSize, headDim]
  private final NDArray[] values; // per layer [kvHeads, numBlocks*blockSize, headDim]
  private final int numBlocks;
  private final int blockSize;

  private PagedKvCache(NDManager manager, NDArray[] keys, NDArray[] values, int numBlocks, int blockSize) {
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
    Shape shape = new Shape(config.numKeyValueHeads(), (long) numBlocks * blockSize, config.headDim());
    NDArray[] keys = new NDArray[config.numHiddenLayers()];
    NDArray[] values = new NDArray[config.numHiddenLayers()];
    for (int i = 0; i < keys.length; i++) {
      keys[i] = manager.zeros(shape, type);
      values[i] = manager.zeros(shape, type);
    }
    return new PagedKvCache(manager, keys, values, numBlocks, blockSize);
  }

  /** Every layer's key pool, for the decoder that writes and reads them. */
  NDArray[] keyLayers() {
    return keys.clone();
  }

  /** Every layer's value pool, as {@link #keyLayers()}. */
  NDArray[] valueLayers() {
    return values.clone();
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
