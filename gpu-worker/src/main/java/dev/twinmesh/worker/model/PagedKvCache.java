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
 * <p>Each layer's keys and values share one pool, laid out head-major, [2 * kvHeads, slots, headDim]:
 * rows 0 to kvHeads - 1 are the key heads, the rest the value heads. A step writes a token's keys
 * and values with one copy, and a decode step gathers both with one: the blocks of a sequence,
 * gathered along the slot axis, come out as [2 * kvHeads, sequences, positions, headDim], which the
 * attention products take as batches of plain matrices, with no second copy to reorder the heads.
 */
public final class PagedKvCache implements AutoCloseable {

  private final NDManager manager;
  private final NDArray[] layers; // per layer [2 * kvHeads, numBlocks*blockSize, headDim], keys then values
  private final int numBlocks;
  private final int blockSize;

  private PagedKvCache(NDManager manager, NDArray[] layers, int numBlocks, int blockSize) {
    this.manager = manager;
    this.layers = layers;
    this.numBlocks = numBlocks;
    this.blockSize = blockSize;
  }

  public static PagedKvCache allocate(ModelConfig config, int numBlocks, int blockSize, NDManager parent,
                                      DataType type) {
    if (numBlocks <= 0 || blockSize <= 0) {
      throw new IllegalArgumentException("need positive numBlocks and blockSize, got " + numBlocks + ", " + blockSize);
    }
    NDManager manager = parent.newSubManager();
    Shape shape = new Shape(2L * config.numKeyValueHeads(), (long) numBlocks * blockSize, config.headDim());
    NDArray[] layers = new NDArray[config.numHiddenLayers()];
    for (int i = 0; i < layers.length; i++) {
      layers[i] = manager.zeros(shape, type);
    }
    return new PagedKvCache(manager, layers, numBlocks, blockSize);
  }

  /** Every layer's pool of keys and values, for the decoder that writes and reads them. */
  NDArray[] layers() {
    return layers.clone();
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
