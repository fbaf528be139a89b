package dev.twinmesh.worker.scheduler;

import java.util.List;

/**
 * What one step computes, decided by {@link Scheduler#schedule()}; immutable, so the model runner may
 * read it on another thread.
 *
 * @param scheduled  the sequences to run, each with the tokens to compute this step; running sequences
 *                   first, then newly admitted ones
 * @param preempted  request ids preempted this step: their blocks were freed and they will recompute
 *                   from position 0 when readmitted (their tokens, prompt and generated, are kept)
 * @param finished   request ids that left since the previous step, with why: finished by {@link
 *                   Scheduler#postprocess} or {@link Scheduler#finish}, or aborted at this schedule;
 *                   per-request state elsewhere (sampler state, runner caches) can be dropped
 */
public record SchedulerOutput(List<ScheduledSequence> scheduled, List<String> preempted, List<Finished> finished) {

  public SchedulerOutput {
    scheduled = List.copyOf(scheduled);
    preempted = List.copyOf(preempted);
    finished = List.copyOf(finished);
  }

  /** Tokens computed this step, over all scheduled sequences; at most max_num_batched_tokens. */
  public int numScheduledTokens() {
    int total = 0;
    for (ScheduledSequence entry : scheduled) {
      total += entry.numNewTokens();
    }
    return total;
  }

  /** True when there is nothing to run this step. */
  public boolean isEmpty() {
    return scheduled.isEmpty();
  }

  /**
   * One sequence's share of a step: compute positions {@code [startPosition, startPosition +
   * numNewTokens)}, whose token ids are {@code tokenIds}, attending to every position before them; keys
   * and values of position {@code p} live in slot {@code p % blockSize} of block {@code blockTable[p /
   * blockSize]}.
   *
   * @param startPosition  the sequence's computed tokens so far (the first position to compute)
   * @param numNewTokens   at least 1
   * @param tokenIds       the {@code numNewTokens} tokens to compute (a copy)
   * @param blockTable     physical block ids covering positions {@code [0, contextLength())} (a copy)
   * @param samplesToken   true when this step computes the sequence's last token (its prompt ends, or
   *                       it decodes): sample a token from the logits of its last position. False for a
   *                       chunk in the middle of a prompt: its logits are not needed
   */
  public record ScheduledSequence(String requestId, int startPosition, int numNewTokens, int[] tokenIds,
                                  int[] blockTable, boolean samplesToken) {

    public ScheduledSequence {
      if (tokenIds.length != numNewTokens) {
        throw new IllegalArgumentException(requestId + ": " + tokenIds.length + " token ids for " + numNewTokens + " new tokens");
      }
      tokenIds = tokenIds.clone();
      blockTable = blockTable.clone();
    }

    @Override
    public int[] tokenIds() {
      return tokenIds.clone();
    }

    @Override
    public int[] blockTable() {
      return blockTable.clone();
    }

    /** Positions attended to after this step: the sequence's computed tokens plus the new ones. */
    public int contextLength() {
      return startPosition + numNewTokens;
    }

    /** Where the new tokens' keys and values go: {@code block * blockSize + offset}, one per new token. */
    public int[] slotMapping(int blockSize) {
      int[] slots = new int[numNewTokens];
      for (int i = 0; i < numNewTokens; i++) {
        int position = startPosition + i;
        slots[i] = blockTable[position / blockSize] * blockSize + position % blockSize;
      }
      return slots;
    }

    @Override
    public String toString() {
      return "Scheduled[" + requestId + " start=" + startPosition + " new=" + numNewTokens
          + " blocks=" + blockTable.length + (samplesToken ? " samples" : "") + "]";
    }
  }

  /** A request that left, and why. */
  public record Finished(String requestId, Sequence.FinishReason reason) {}
}
