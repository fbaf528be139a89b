package dev.twinmesh.worker.scheduler;

import java.util.ArrayDeque;
import java.util.Arrays;
import java.util.Collection;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashSet;
import java.util.Map;

/**
 * Bookkeeping of the paged KV cache, in integers only: a pool of {@code numBlocks} blocks of {@code
 * blockSize} token slots each, reference counts, and a prefix cache of full blocks.
 *
 * <p>Prefix cache: a full block is known by a chain hash, the hash of the previous block's hash and its
 * own token ids, so equal hashes mean equal prefixes up to hash collisions. A hit is never trusted on the
 * hash alone: the cached block's stored token ids must equal the sequence's, and its recorded parent
 * must be the very block (same incarnation) the sequence hit just before; by induction the whole prefix
 * is then verified, whatever the hash function does. Blocks are registered only after their keys and
 * values were computed ({@link #cacheComputedBlocks}), never on allocation.
 *
 * <p>Free blocks: those without a hash are handed out first; freed blocks with a hash stay findable and
 * are evicted lazily, least recently freed first, when a fresh block is needed. A sequence's blocks are
 * freed last block first, so the start of a prompt, the part most worth sharing, is evicted last.
 *
 * <p>Prefix-cache metrics count tokens, as vLLM does: queries are the tokens of each sequence at its
 * admission, hits the tokens served from the cache.
 */
public final class BlockManager {

  /** The chain hash of one full block; package-private so tests can force collisions. */
  @FunctionalInterface
  interface BlockHasher {
    long hash(long parentHash, int[] tokens, int from, int to);
  }

  /** The "previous hash" of a sequence's first block. */
  static final long ROOT_HASH = 0x6a09e667f3bcc908L;
  private static final int NO_BLOCK = -1;

  private final int numBlocks;
  private final int blockSize;
  private final BlockHasher hasher;

  private final int[] refCounts;
  private final boolean[] hashed;
  private final long[] hashes;
  private final int[][] cachedTokens;     // token ids of a hashed block, to verify hits
  private final int[] parents;            // the block before a hashed block when it was computed
  private final int[] parentIncarnations; // that parent's incarnation then
  private final int[] incarnations;       // bumped each time a block is handed out fresh
  private final ArrayDeque<Integer> freeUnhashed = new ArrayDeque<>();
  private final LinkedHashSet<Integer> evictable = new LinkedHashSet<>(); // least recently freed first
  private final Map<Long, Integer> hashToBlock = new HashMap<>();

  private long numQueryTokens;
  private long numHitTokens;

  public BlockManager(int numBlocks, int blockSize) {
    this(numBlocks, blockSize, BlockManager::chainHash);
  }

  BlockManager(int numBlocks, int blockSize, BlockHasher hasher) {
    if (numBlocks < 1 || blockSize < 1) {
      throw new IllegalArgumentException("need at least one block of at least one token, got "
          + numBlocks + " blocks of " + blockSize);
    }
    this.numBlocks = numBlocks;
    this.blockSize = blockSize;
    this.hasher = hasher;
    this.refCounts = new int[numBlocks];
    this.hashed = new boolean[numBlocks];
    this.hashes = new long[numBlocks];
    this.cachedTokens = new int[numBlocks][];
    this.parents = new int[numBlocks];
    this.parentIncarnations = new int[numBlocks];
    this.incarnations = new int[numBlocks];
    for (int block = 0; block < numBlocks; block++) {
      freeUnhashed.addLast(block);
    }
  }

  public int blockSize() { return blockSize; }
  public int numBlocks() { return numBlocks; }
  /** Blocks no sequence holds, including cached ones that can still be evicted. */
  public int numFreeBlocks() { return freeUnhashed.size() + evictable.size(); }
  public int numUsedBlocks() { return numBlocks - numFreeBlocks(); }
  /** Used blocks over all blocks, in [0, 1]: vLLM's kv_cache_usage_perc. */
  public double usage() { return (double) numUsedBlocks() / numBlocks; }
  /** Blocks findable in the prefix cache, used or free. */
  public int numCachedBlocks() { return hashToBlock.size(); }
  /** Tokens looked up in the prefix cache: each sequence's length at each admission. */
  public long numQueryTokens() { return numQueryTokens; }
  /** Tokens served from the prefix cache instead of computed. */
  public long numHitTokens() { return numHitTokens; }

  public int numBlocksFor(int numTokens) {
    return (numTokens + blockSize - 1) / blockSize;
  }

  /**
   * The cached blocks that hold the sequence's leading full blocks, verified, in order. The last token
   * is never covered, so at least one token is left to compute and sample from.
   */
  public int[] findCachedPrefix(Sequence seq) {
    int maxBlocks = (seq.numTokens() - 1) / blockSize;
    ensureBlockHashes(seq, maxBlocks);
    int[] hits = new int[maxBlocks];
    int numHits = 0;
    for (int index = 0; index < maxBlocks; index++) {
      Integer block = hashToBlock.get(seq.blockHash(index));
      int previous = numHits == 0 ? NO_BLOCK : hits[numHits - 1];
      if (block == null || !holds(block, seq, index, previous)) {
        break;
      }
      hits[numHits++] = block;
    }
    return Arrays.copyOf(hits, numHits);
  }

  /**
   * Gives a sequence that holds no blocks its cached prefix (counted as computed) and fresh blocks for
   * {@code numNewTokens} more tokens. All or nothing: false, and no change, when the pool cannot.
   */
  public boolean allocate(Sequence seq, int[] cachedPrefix, int numNewTokens) {
    if (seq.numBlocks() != 0 || seq.numComputedTokens() != 0) {
      throw new IllegalStateException(seq.requestId() + " already holds blocks");
    }
    int numCachedTokens = cachedPrefix.length * blockSize;
    int numFresh = numBlocksFor(numCachedTokens + numNewTokens) - cachedPrefix.length;
    if (numFresh + numFreeAmong(cachedPrefix) > numFreeBlocks()) {
      return false;
    }
    for (int block : cachedPrefix) {
      if (refCounts[block]++ == 0) {
        evictable.remove(block);
      }
      seq.appendBlock(block);
    }
    appendFreshBlocks(seq, numFresh);
    seq.setNumComputedTokens(numCachedTokens);
    seq.recordCachedPromptTokens(numCachedTokens);
    numQueryTokens += seq.numTokens();
    numHitTokens += numCachedTokens;
    return true;
  }

  /**
   * Grows a sequence's block table to cover {@code numNewTokens} beyond its computed ones. All or
   * nothing: false, and no change, when the pool cannot.
   */
  public boolean allocateSlots(Sequence seq, int numNewTokens) {
    int numFresh = numBlocksFor(seq.numComputedTokens() + numNewTokens) - seq.numBlocks();
    if (numFresh > numFreeBlocks()) {
      return false;
    }
    appendFreshBlocks(seq, numFresh);
    return true;
  }

  /** Releases all of a sequence's blocks, last first; cached ones stay findable until evicted. */
  public void free(Sequence seq) {
    for (int index = seq.numBlocks() - 1; index >= 0; index--) {
      release(seq.block(index));
    }
    seq.clearBlocks();
  }

  /**
   * Registers in the prefix cache the sequence's blocks that became full of computed tokens since
   * {@code numComputedBefore}. Call after the step that computed them ran.
   */
  public void cacheComputedBlocks(Sequence seq, int numComputedBefore) {
    int numFull = seq.numComputedTokens() / blockSize;
    ensureBlockHashes(seq, numFull);
    for (int index = numComputedBefore / blockSize; index < numFull; index++) {
      int block = seq.block(index);
      if (hashed[block]) {
        continue; // shared from the cache
      }
      int previous = index == 0 ? NO_BLOCK : seq.block(index - 1);
      if (previous != NO_BLOCK && !hashed[previous]) {
        return; // the chain is broken: nothing after it could be found
      }
      long hash = seq.blockHash(index);
      Integer existing = hashToBlock.get(hash);
      if (existing != null) {
        if (holds(existing, seq, index, previous)) {
          return; // an equal block is cached already; this one stays private
        }
        unhash(existing); // a collision or a stale entry: the newest block takes the hash
      }
      register(block, hash, seq, index, previous);
    }
  }

  /** The chain hash of the full blocks {@code [0, numFullBlocks)}, computed once per sequence. */
  private void ensureBlockHashes(Sequence seq, int numFullBlocks) {
    for (int index = seq.numBlockHashes(); index < numFullBlocks; index++) {
      long parent = index == 0 ? ROOT_HASH : seq.blockHash(index - 1);
      seq.appendBlockHash(hasher.hash(parent, seq.tokenArray(), index * blockSize, (index + 1) * blockSize));
    }
  }

  /** True when cached {@code block} verifiably holds the sequence's block {@code index} after {@code previous}. */
  private boolean holds(int block, Sequence seq, int index, int previous) {
    return seq.tokensEqual(index * blockSize, (index + 1) * blockSize, cachedTokens[block])
        && parents[block] == previous
        && (previous == NO_BLOCK || parentIncarnations[block] == incarnations[previous]);
  }

  private void register(int block, long hash, Sequence seq, int index, int previous) {
    hashed[block] = true;
    hashes[block] = hash;
    cachedTokens[block] = seq.tokenIds(index * blockSize, (index + 1) * blockSize);
    parents[block] = previous;
    parentIncarnations[block] = previous == NO_BLOCK ? 0 : incarnations[previous];
    hashToBlock.put(hash, block);
  }

  private void unhash(int block) {
    hashToBlock.remove(hashes[block], block);
    hashed[block] = false;
    cachedTokens[block] = null;
    parents[block] = NO_BLOCK;
    if (refCounts[block] == 0 && evictable.remove(block)) {
      freeUnhashed.addLast(block);
    }
  }

  private int numFreeAmong(int[] blocks) {
    int count = 0;
    for (int block : blocks) {
      if (refCounts[block] == 0) {
        count++;
      }
    }
    return count;
  }

  private void appendFreshBlocks(Sequence seq, int count) {
    for (int i = 0; i < count; i++) {
      seq.appendBlock(takeFreshBlock());
    }
  }

  /** An unhashed free block if there is one, else the least recently freed cached block, evicted. */
  private int takeFreshBlock() {
    Integer block = freeUnhashed.pollFirst();
    if (block == null) {
      Iterator<Integer> oldest = evictable.iterator();
      block = oldest.next();
      oldest.remove();
      unhash(block);
    }
    incarnations[block]++;
    refCounts[block] = 1;
    return block;
  }

  private void release(int block) {
    if (refCounts[block] <= 0) {
      throw new IllegalStateException("block " + block + " released more often than taken");
    }
    if (--refCounts[block] == 0) {
      if (hashed[block]) {
        evictable.add(block);
      } else {
        freeUnhashed.addLast(block);
      }
    }
  }

  /**
   * Checks that every block is accounted for: reference counts equal the number of block tables that
   * hold the block, free blocks are exactly those with no reference, each in the right free list, and
   * the hash map and the blocks agree.
   *
   * @throws IllegalStateException naming the first broken invariant
   */
  void checkAccounting(Collection<Sequence> holders) {
    int[] holdersPerBlock = new int[numBlocks];
    for (Sequence seq : holders) {
      for (int index = 0; index < seq.numBlocks(); index++) {
        holdersPerBlock[seq.block(index)]++;
      }
    }
    int[] freeListings = listFreeBlocks();
    int numHashed = 0;
    for (int block = 0; block < numBlocks; block++) {
      if (refCounts[block] != holdersPerBlock[block]) {
        fail("block " + block + " has ref count " + refCounts[block] + " but " + holdersPerBlock[block] + " holders");
      }
      if (freeListings[block] != (refCounts[block] == 0 ? 1 : 0)) {
        fail("block " + block + " with ref count " + refCounts[block] + " is listed free " + freeListings[block] + " times");
      }
      if (hashed[block]) {
        numHashed++;
        if (!Integer.valueOf(block).equals(hashToBlock.get(hashes[block]))) {
          fail("hashed block " + block + " is not in the hash map");
        }
      }
    }
    if (numHashed != hashToBlock.size()) {
      fail(hashToBlock.size() + " hash map entries for " + numHashed + " hashed blocks");
    }
  }

  /** How often each block appears in the free lists, checking each is in the right one. */
  private int[] listFreeBlocks() {
    int[] listings = new int[numBlocks];
    for (int block : freeUnhashed) {
      listings[block]++;
      if (hashed[block]) {
        fail("unhashed free block " + block + " has a hash");
      }
    }
    for (int block : evictable) {
      listings[block]++;
      if (!hashed[block]) {
        fail("evictable block " + block + " has no hash");
      }
    }
    return listings;
  }

  private static void fail(String message) {
    throw new IllegalStateException("block accounting broken: " + message);
  }

  /** 64-bit chain hash: the parent's hash, then each token, each step through murmur3's finalizer. */
  static long chainHash(long parentHash, int[] tokens, int from, int to) {
    long hash = mix(parentHash ^ (to - from));
    for (int i = from; i < to; i++) {
      hash = mix(hash + 0x9E3779B97F4A7C15L * (tokens[i] + 1L));
    }
    return hash;
  }

  private static long mix(long z) {
    z = (z ^ (z >>> 33)) * 0xff51afd7ed558ccdL;
    z = (z ^ (z >>> 33)) * 0xc4ceb9fe1a85ec53L;
    return z ^ (z >>> 33);
  }
}
