package dev.twinmesh.worker.scheduler;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

class BlockManagerTest {

  private static Sequence seq(String id, int... tokens) {
    return new Sequence(id, tokens, 8);
  }

  private static int[] range(int from, int to) {
    return IntStream.range(from, to).toArray();
  }

  private static int[] concat(int[] a, int[] b) {
    return IntStream.concat(IntStream.of(a), IntStream.of(b)).toArray();
  }

  /** Admits a sequence as the scheduler would, pretends the model computed all its tokens, caches its blocks. */
  private static void admitAndCompute(BlockManager blocks, Sequence seq) {
    int[] cached = blocks.findCachedPrefix(seq);
    assertTrue(blocks.allocate(seq, cached, seq.numTokens() - cached.length * blocks.blockSize()));
    int before = seq.numComputedTokens();
    seq.setNumComputedTokens(seq.numTokens());
    blocks.cacheComputedBlocks(seq, before);
  }

  @Test
  void allocateThenFreeReturnsThePoolToFull() {
    BlockManager blocks = new BlockManager(8, 4);
    Sequence a = seq("a", range(0, 10));
    Sequence b = seq("b", range(100, 105));
    assertTrue(blocks.allocate(a, new int[0], 10));
    assertTrue(blocks.allocate(b, new int[0], 5));
    assertEquals(3, a.numBlocks());
    assertEquals(2, b.numBlocks());
    assertEquals(5, blocks.numUsedBlocks());
    assertEquals(5.0 / 8, blocks.usage(), 1e-9);
    blocks.checkAccounting(List.of(a, b));

    blocks.free(a);
    blocks.free(b);
    assertEquals(8, blocks.numFreeBlocks());
    assertEquals(0.0, blocks.usage());
    assertEquals(0, a.numBlocks());
    blocks.checkAccounting(List.of());
  }

  @Test
  void allocationIsAllOrNothingWhenThePoolIsShort() {
    BlockManager blocks = new BlockManager(3, 4);
    Sequence a = seq("a", range(0, 8));
    assertTrue(blocks.allocate(a, new int[0], 8));
    Sequence b = seq("b", range(100, 108));
    assertFalse(blocks.allocate(b, new int[0], 8));
    assertEquals(0, b.numBlocks());
    assertEquals(1, blocks.numFreeBlocks());
    // growing: one more token fits in the last free block, five more do not
    a.setNumComputedTokens(8);
    assertTrue(blocks.allocateSlots(a, 1));
    assertFalse(blocks.allocateSlots(a, 5));
    assertEquals(3, a.numBlocks());
    blocks.checkAccounting(List.of(a));
  }

  @Test
  void sequencesWithAnIdenticalPrefixShareItsCachedBlocksByReferenceCount() {
    BlockManager blocks = new BlockManager(10, 4);
    int[] prefix = range(0, 8);
    Sequence a = seq("a", concat(prefix, new int[] {50, 51, 52}));
    admitAndCompute(blocks, a);
    Sequence b = seq("b", concat(prefix, new int[] {60}));
    int[] hits = blocks.findCachedPrefix(b);
    assertArrayEquals(new int[] {a.block(0), a.block(1)}, hits);
    assertTrue(blocks.allocate(b, hits, 1));
    assertEquals(8, b.numComputedTokens(), "shared blocks count as computed");
    assertEquals(8, b.numCachedPromptTokens());
    assertEquals(3 + 1, blocks.numUsedBlocks(), "b adds one block of its own");
    blocks.checkAccounting(List.of(a, b));

    blocks.free(a);
    assertEquals(3, blocks.numUsedBlocks(), "the shared blocks are still held by b");
    blocks.checkAccounting(List.of(b));
    blocks.free(b);
    assertEquals(10, blocks.numFreeBlocks());
    blocks.checkAccounting(List.of());
  }

  @Test
  void freedCachedBlocksStayFindableUntilEvicted() {
    BlockManager blocks = new BlockManager(10, 4);
    Sequence a = seq("a", range(0, 9));
    admitAndCompute(blocks, a);
    int[] firstTwo = {a.block(0), a.block(1)};
    blocks.free(a);
    assertEquals(10, blocks.numFreeBlocks());
    Sequence again = seq("again", range(0, 9));
    assertArrayEquals(firstTwo, blocks.findCachedPrefix(again));
    assertTrue(blocks.allocate(again, blocks.findCachedPrefix(again), 1));
    assertEquals(8, again.numComputedTokens());
    blocks.checkAccounting(List.of(again));
  }

  @Test
  void aHitAlwaysLeavesTheLastTokenToCompute() {
    BlockManager blocks = new BlockManager(10, 4);
    admitAndCompute(blocks, seq("a", range(0, 8)));
    Sequence same = seq("same", range(0, 8));
    assertEquals(1, blocks.findCachedPrefix(same).length, "two full blocks, but the last token must be computed");
  }

  @Test
  void identicalPrefixesGetEqualChainHashesAndADifferentEarlierBlockChangesAllLaterOnes() {
    BlockManager blocks = new BlockManager(16, 4);
    Sequence a = seq("a", concat(range(0, 4), range(10, 22)));
    Sequence sameAsA = seq("same", concat(range(0, 4), range(10, 22)));
    Sequence differentFirstBlock = seq("diff", concat(range(100, 104), range(10, 22)));
    blocks.findCachedPrefix(a);
    blocks.findCachedPrefix(sameAsA);
    blocks.findCachedPrefix(differentFirstBlock);
    for (int index = 0; index < 3; index++) {
      assertEquals(a.blockHash(index), sameAsA.blockHash(index));
      assertNotEquals(a.blockHash(index), differentFirstBlock.blockHash(index), "block " + index);
    }

    admitAndCompute(blocks, a);
    assertEquals(0, blocks.findCachedPrefix(differentFirstBlock).length,
        "equal later blocks do not hit after a different first block");
  }

  @Test
  void aCollidingHashIsNotAHitBecauseTheStoredTokensDiffer() {
    BlockManager blocks = new BlockManager(16, 4, (parent, tokens, from, to) -> 42L);
    Sequence a = seq("a", concat(range(0, 4), new int[] {9}));
    admitAndCompute(blocks, a);
    Sequence b = seq("b", concat(range(100, 104), new int[] {9}));
    blocks.findCachedPrefix(b);
    assertEquals(a.blockHash(0), b.blockHash(0), "the hook forces a collision");
    assertEquals(0, blocks.findCachedPrefix(b).length);
    blocks.checkAccounting(List.of(a));
  }

  @Test
  void aCollidingBlockWithEqualTokensButADifferentPrefixIsNotAHit() {
    // every block hashes alike, so the cache holds one entry: a's second block [4..8) after [0..4)
    BlockManager blocks = new BlockManager(16, 4, (parent, tokens, from, to) -> 42L);
    Sequence a = seq("a", concat(range(0, 8), new int[] {9}));
    admitAndCompute(blocks, a);
    assertEquals(1, blocks.numCachedBlocks());
    // b's first block has the tokens of a's cached second block, but that one was computed after [0..4)
    Sequence b = seq("b", concat(range(4, 8), new int[] {9}));
    assertEquals(0, blocks.findCachedPrefix(b).length);
  }

  @Test
  void aCachedBlockWhoseParentBlockWasReusedIsNotAHit() {
    // blocks hash by position only, so every sequence's block i collides with every other's
    BlockManager blocks = new BlockManager(8, 4, (parent, tokens, from, to) -> from);
    int[] x = {1, 1, 1, 1};
    int[] y = {2, 2, 2, 2};
    int[] z = {3, 3, 3, 3};
    int[] w = {4, 4, 4, 4};
    int[] v = {5, 5, 5, 5};
    Sequence a = seq("a", concat(concat(x, y), concat(z, new int[] {9}))); // blocks 0..3; caches X, Y, Z
    admitAndCompute(blocks, a);
    int staleZ = a.block(2);
    int reusedY = a.block(1);
    Sequence b = seq("b", concat(concat(w, y), new int[] {9})); // takes over the hashes of positions 0 and 1
    admitAndCompute(blocks, b);
    Sequence holdsTheSpareBlock = seq("spare", 9);
    assertTrue(blocks.allocate(holdsTheSpareBlock, new int[0], 1));
    blocks.free(a); // a's unhashed blocks are reused first; its Z stays cached, its parent recorded as reusedY
    Sequence d = seq("d", concat(concat(v, y), z)); // Y after V lands in reusedY, a new incarnation
    admitAndCompute(blocks, d);
    assertEquals(reusedY, d.block(1), "the scenario: a's old Y block now holds d's Y");

    int[] hits = blocks.findCachedPrefix(seq("e", concat(concat(v, y), concat(z, new int[] {9}))));
    assertArrayEquals(new int[] {d.block(0), d.block(1), d.block(2)}, hits,
        "Z computed after X, Y (block " + staleZ + ") must not serve V, Y, Z");
    blocks.checkAccounting(List.of(b, holdsTheSpareBlock, d));
  }

  @Test
  void freedCachedBlocksAreEvictedLeastRecentlyFreedFirstAfterUncachedOnes() {
    BlockManager blocks = new BlockManager(6, 2);
    Sequence a = seq("a", range(0, 5));     // blocks [0,1] [2,3] [4]
    Sequence b = seq("b", range(10, 15));   // blocks [10,11] [12,13] [14]
    admitAndCompute(blocks, a);
    admitAndCompute(blocks, b);
    blocks.free(a); // a's blocks first, its last block first: a's prefix is the oldest in the cache
    blocks.free(b);
    assertEquals(4, blocks.numCachedBlocks());

    Sequence fresh = seq("fresh", range(100, 107)); // four blocks: the two uncached ones, then evictions
    assertTrue(blocks.allocate(fresh, blocks.findCachedPrefix(fresh), 7));
    assertEquals(2, blocks.numCachedBlocks(), "two cached blocks were evicted");
    assertEquals(0, blocks.findCachedPrefix(seq("a2", range(0, 5))).length, "a's blocks went first");
    assertEquals(2, blocks.findCachedPrefix(seq("b2", range(10, 15))).length, "b's are still cached");
    blocks.checkAccounting(List.of(fresh));
  }

  @Test
  void aReusedCachedBlockBecomesTheMostRecentlyUsed() {
    BlockManager blocks = new BlockManager(4, 2);
    Sequence a = seq("a", range(0, 3));     // one full block [0,1]
    Sequence b = seq("b", range(10, 13));   // one full block [10,11]
    admitAndCompute(blocks, a);
    admitAndCompute(blocks, b);
    blocks.free(a);
    blocks.free(b);
    Sequence aAgain = seq("a again", range(0, 3));
    admitAndCompute(blocks, aAgain); // hits a's block, takes it out of the free list
    blocks.free(aAgain);             // and puts it back as the most recent
    // now b's block is the oldest cached one: a three-block allocation takes two uncached ones and b's
    Sequence fresh = seq("fresh", range(100, 106));
    assertTrue(blocks.allocate(fresh, new int[0], 6));
    assertEquals(1, blocks.findCachedPrefix(seq("a3", range(0, 3))).length);
    assertEquals(0, blocks.findCachedPrefix(seq("b3", range(10, 13))).length);
  }

  @Test
  void theAccountingCheckCatchesALeakedBlock() {
    BlockManager blocks = new BlockManager(4, 4);
    Sequence a = seq("a", range(0, 6));
    assertTrue(blocks.allocate(a, new int[0], 6));
    a.clearBlocks(); // dropped without free: its two blocks leak
    assertThrows(IllegalStateException.class, () -> blocks.checkAccounting(List.of(a)));
  }

  @Test
  void queriesAndHitsAreCountedInTokens() {
    BlockManager blocks = new BlockManager(16, 4);
    admitAndCompute(blocks, seq("a", range(0, 10)));
    assertEquals(10, blocks.numQueryTokens());
    assertEquals(0, blocks.numHitTokens());
    admitAndCompute(blocks, seq("b", concat(range(0, 8), new int[] {77, 78, 79})));
    assertEquals(21, blocks.numQueryTokens());
    assertEquals(8, blocks.numHitTokens());
  }
}
