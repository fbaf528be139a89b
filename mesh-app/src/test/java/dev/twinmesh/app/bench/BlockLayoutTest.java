package dev.twinmesh.app.bench;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.Test;

class BlockLayoutTest {

  @Test
  void contiguousGivesEachSequenceOneRunOfBlocks() {
    int[][] tables = BlockLayout.CONTIGUOUS.tables(3, 4, 20, 2, 0);

    assertArrayEquals(new int[] {0, 1, 2, 3}, tables[0]);
    assertArrayEquals(new int[] {4, 5, 6, 7}, tables[1]);
    assertArrayEquals(new int[] {8, 9, 10, 11}, tables[2]);
  }

  @Test
  void grownKeepsPromptsTogetherAndDealsLaterBlocksInTurn() {
    // three prompts of two blocks each, then two decode blocks per sequence taken round by round
    int[][] tables = BlockLayout.GROWN.tables(3, 4, 20, 2, 0);

    assertArrayEquals(new int[] {0, 1, 6, 9}, tables[0]);
    assertArrayEquals(new int[] {2, 3, 7, 10}, tables[1]);
    assertArrayEquals(new int[] {4, 5, 8, 11}, tables[2]);
  }

  @Test
  void grownWithAPromptAsLongAsTheContextIsContiguous() {
    assertArrayEquals(BlockLayout.CONTIGUOUS.tables(3, 4, 20, 4, 0)[2], BlockLayout.GROWN.tables(3, 4, 20, 9, 0)[2]);
  }

  @Test
  void scatteredDrawsDistinctBlocksFromTheWholePoolBySeed() {
    int[][] tables = BlockLayout.SCATTERED.tables(4, 8, 1000, 0, 7);

    Set<Integer> seen = new HashSet<>();
    int highest = 0;
    for (int[] table : tables) {
      for (int block : table) {
        assertTrue(block >= 0 && block < 1000, "block " + block);
        assertTrue(seen.add(block), "block " + block + " is in two tables");
        highest = Math.max(highest, block);
      }
    }
    assertEquals(32, seen.size());
    assertTrue(highest >= 32, "the draw reaches past the first blocks of the pool");
    assertArrayEquals(tables[3], BlockLayout.SCATTERED.tables(4, 8, 1000, 0, 7)[3]);
    assertFalse(java.util.Arrays.equals(tables[3], BlockLayout.SCATTERED.tables(4, 8, 1000, 0, 8)[3]));
  }

  @Test
  void everyLayoutRefusesMoreBlocksThanThePoolHas() {
    for (BlockLayout layout : BlockLayout.values()) {
      IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> layout.tables(3, 4, 11, 2, 0));
      assertTrue(e.getMessage().contains("11 blocks"), e.getMessage());
    }
  }
}
