package dev.twinmesh.app.bench;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;

/**
 * Where the step benchmark puts each sequence's blocks in the KV pool: the block tables a batch gets
 * from an allocator, without running one, so that the cost of where blocks lie can be timed alone.
 */
enum BlockLayout {
  /** Each sequence's blocks side by side, sequence after sequence: the best case for reading them. */
  CONTIGUOUS,
  /**
   * What a batch that arrived together gets from a fresh pool handing out blocks in order: each prompt's
   * blocks side by side, then, as the batch decodes, one block per sequence in turn.
   */
  GROWN,
  /** Blocks drawn at random from the whole pool: a pool that has served long enough to be shuffled. */
  SCATTERED;

  /**
   * Block tables of {@code sequences} sequences of {@code blocksPerSequence} blocks each, out of a pool of
   * {@code poolBlocks}; no block is in two tables.
   *
   * @param promptBlocks the blocks of each prompt (GROWN only; the rest were taken during decode)
   * @param seed         the draw (SCATTERED only)
   */
  int[][] tables(int sequences, int blocksPerSequence, int poolBlocks, int promptBlocks, long seed) {
    if (sequences < 1 || blocksPerSequence < 1 || (long) sequences * blocksPerSequence > poolBlocks) {
      throw new IllegalArgumentException(sequences + " sequences of " + blocksPerSequence + " blocks need more than the "
          + poolBlocks + " blocks of the pool");
    }
    int[][] tables = new int[sequences][blocksPerSequence];
    List<Integer> drawn = this == SCATTERED ? shuffledPool(poolBlocks, seed) : null;
    int prompt = Math.min(Math.max(promptBlocks, 0), blocksPerSequence);
    for (int s = 0; s < sequences; s++) {
      for (int b = 0; b < blocksPerSequence; b++) {
        tables[s][b] = switch (this) {
          case CONTIGUOUS -> s * blocksPerSequence + b;
          case GROWN -> b < prompt ? s * prompt + b : sequences * prompt + (b - prompt) * sequences + s;
          case SCATTERED -> drawn.get(s * blocksPerSequence + b);
        };
      }
    }
    return tables;
  }

  private static List<Integer> shuffledPool(int poolBlocks, long seed) {
    List<Integer> blocks = new ArrayList<>(poolBlocks);
    for (int block = 0; block < poolBlocks; block++) {
      blocks.add(block);
    }
    Collections.shuffle(blocks, new Random(seed));
    return blocks;
  }
}
