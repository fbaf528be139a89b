package dev.twinmesh.worker.scheduler;

import dev.twinmesh.common.SamplingParams;
import java.util.Arrays;
import java.util.Objects;
import java.util.Set;

/**
 * One request's generation state and nothing else: its tokens (prompt, then generated), how many of
 * them have keys and values in the cache, its block table, status and parameters. The {@link
 * Scheduler} and {@link BlockManager} change it; everyone else reads it. Touched by the engine thread
 * only.
 *
 * <p>Tokens {@code [0, numComputedTokens)} have their keys and values in the blocks of the block
 * table; tokens {@code [numComputedTokens, numTokens)} still have to go through the model. After a
 * step computes the last of them, the model's logits sample the next token, which is appended.
 */
public final class Sequence {

  public enum Status { WAITING, RUNNING, FINISHED }

  /** Why a sequence left. STOP and LENGTH are OpenAI's finish reasons; ABORT and ERROR end it early. */
  public enum FinishReason {
    STOP, LENGTH, ABORT, ERROR;

    /** The lower-case name, as OpenAI ("stop", "length") and vLLM ("abort") report it. */
    public String openAiName() {
      return name().toLowerCase(java.util.Locale.ROOT);
    }
  }

  private final String requestId;
  private final int numPromptTokens;
  private final int maxTokens;
  private final int priority;
  private final long arrivalNanos;
  private final SamplingParams sampling;
  private final Set<Integer> stopTokenIds;

  private int[] tokenIds;
  private int numTokens;
  private int numComputedTokens;
  private int numCachedPromptTokens = -1;
  private int[] blockTable = new int[4];
  private int numBlocks;
  private long[] blockHashes = new long[4];
  private int numBlockHashes;
  private Status status = Status.WAITING;
  private FinishReason finishReason;
  private long addOrder = -1;
  private int numPreemptions;

  /**
   * @param promptTokenIds at least one token
   * @param maxTokens      tokens to generate at most (at least 1)
   * @param priority       higher is served first; equal priorities are served in arrival order
   * @param arrivalNanos   when the request arrived ({@link System#nanoTime()} scale)
   * @param sampling       how the sampler draws this sequence's tokens; the scheduler only carries it
   * @param stopTokenIds   sampled tokens that end the sequence with {@link FinishReason#STOP} (end of
   *                       text ids unless ignore_eos, plus the request's stop_token_ids)
   */
  public Sequence(String requestId, int[] promptTokenIds, int maxTokens, int priority, long arrivalNanos,
                  SamplingParams sampling, Set<Integer> stopTokenIds) {
    this.requestId = Objects.requireNonNull(requestId, "requestId");
    if (promptTokenIds == null || promptTokenIds.length == 0) {
      throw new IllegalArgumentException("request " + requestId + " has an empty prompt");
    }
    if (maxTokens < 1) {
      throw new IllegalArgumentException("request " + requestId + ": maxTokens must be at least 1, got " + maxTokens);
    }
    this.numPromptTokens = promptTokenIds.length;
    this.maxTokens = maxTokens;
    this.priority = priority;
    this.arrivalNanos = arrivalNanos;
    this.sampling = sampling;
    this.stopTokenIds = stopTokenIds == null ? Set.of() : Set.copyOf(stopTokenIds);
    this.tokenIds = Arrays.copyOf(promptTokenIds, promptTokenIds.length + Math.min(maxTokens, 256));
    this.numTokens = promptTokenIds.length;
  }

  /** A sequence with default priority, arrival now, no sampling parameters and no stop tokens. */
  public Sequence(String requestId, int[] promptTokenIds, int maxTokens) {
    this(requestId, promptTokenIds, maxTokens, 0, System.nanoTime(), null, Set.of());
  }

  public String requestId() { return requestId; }
  public int numPromptTokens() { return numPromptTokens; }
  public int maxTokens() { return maxTokens; }
  public int priority() { return priority; }
  public long arrivalNanos() { return arrivalNanos; }
  public SamplingParams sampling() { return sampling; }
  public Set<Integer> stopTokenIds() { return stopTokenIds; }
  public Status status() { return status; }
  /** Null until the sequence finished. */
  public FinishReason finishReason() { return finishReason; }
  public boolean isFinished() { return status == Status.FINISHED; }

  /** Prompt plus generated tokens. */
  public int numTokens() { return numTokens; }
  public int numCompletionTokens() { return numTokens - numPromptTokens; }
  public int numComputedTokens() { return numComputedTokens; }
  /** Tokens that still have to go through the model before the next token can be sampled. */
  public int numUncomputedTokens() { return numTokens - numComputedTokens; }
  /** Prompt tokens served by the prefix cache at first admission; 0 before admission. */
  public int numCachedPromptTokens() { return Math.max(numCachedPromptTokens, 0); }
  public int numPreemptions() { return numPreemptions; }
  public int numBlocks() { return numBlocks; }

  public int tokenId(int position) {
    Objects.checkIndex(position, numTokens);
    return tokenIds[position];
  }

  /** A copy of tokens {@code [from, to)}. */
  public int[] tokenIds(int from, int to) {
    Objects.checkFromToIndex(from, to, numTokens);
    return Arrays.copyOfRange(tokenIds, from, to);
  }

  public int[] promptTokenIds() { return tokenIds(0, numPromptTokens); }
  public int[] completionTokenIds() { return tokenIds(numPromptTokens, numTokens); }
  public int lastTokenId() { return tokenIds[numTokens - 1]; }

  /** A copy of the block table: physical block ids, one per {@code blockSize} positions. */
  public int[] blockTable() { return Arrays.copyOf(blockTable, numBlocks); }

  public int block(int index) {
    Objects.checkIndex(index, numBlocks);
    return blockTable[index];
  }

  @Override
  public String toString() {
    return "Sequence[" + requestId + " " + status + " tokens=" + numTokens + " computed=" + numComputedTokens
        + " blocks=" + numBlocks + " priority=" + priority + "]";
  }

  // ---- package-private mutators for the Scheduler and BlockManager ----

  /** Tokens {@code [from, to)} compared with {@code other[0, to - from)}, without copying. */
  boolean tokensEqual(int from, int to, int[] other) {
    return Arrays.equals(tokenIds, from, to, other, 0, to - from);
  }

  /** Direct view for hashing; callers read {@code [0, numTokens)} only. */
  int[] tokenArray() { return tokenIds; }

  void appendToken(int tokenId) {
    if (numTokens == tokenIds.length) {
      tokenIds = Arrays.copyOf(tokenIds, Math.max(tokenIds.length * 2, 8));
    }
    tokenIds[numTokens++] = tokenId;
  }

  void setNumComputedTokens(int count) {
    if (count < 0 || count > numTokens) {
      throw new IllegalStateException(requestId + ": computed tokens " + count + " outside [0, " + numTokens + "]");
    }
    numComputedTokens = count;
  }

  void recordCachedPromptTokens(int count) {
    if (numCachedPromptTokens < 0) {
      numCachedPromptTokens = count;
    }
  }

  void appendBlock(int blockId) {
    if (numBlocks == blockTable.length) {
      blockTable = Arrays.copyOf(blockTable, blockTable.length * 2);
    }
    blockTable[numBlocks++] = blockId;
  }

  void clearBlocks() { numBlocks = 0; }

  /** Chain hashes of the leading full token blocks computed so far; they depend on tokens only. */
  int numBlockHashes() { return numBlockHashes; }

  long blockHash(int index) {
    Objects.checkIndex(index, numBlockHashes);
    return blockHashes[index];
  }

  void appendBlockHash(long hash) {
    if (numBlockHashes == blockHashes.length) {
      blockHashes = Arrays.copyOf(blockHashes, blockHashes.length * 2);
    }
    blockHashes[numBlockHashes++] = hash;
  }

  void setStatus(Status status) { this.status = status; }

  void setFinished(FinishReason reason) {
    this.status = Status.FINISHED;
    this.finishReason = reason;
  }

  long addOrder() { return addOrder; }
  void setAddOrder(long order) { addOrder = order; }
  void countPreemption() { numPreemptions++; }
}
