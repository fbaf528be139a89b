package dev.twinmesh.worker.scheduler;

/**
 * The scheduler's limits, validated once.
 *
 * @param maxNumBatchedTokens tokens computed in one step, over all sequences (vLLM's
 *                            max_num_batched_tokens, the original system's MAX_BATCH_TOTAL_TOKENS)
 * @param maxNumSeqs          sequences running at the same time; at most maxNumBatchedTokens, so that
 *                            every running sequence can advance by at least one token each step
 * @param maxModelLen         prompt plus generated tokens of one sequence (MAX_TOTAL_TOKENS)
 */
public record SchedulerConfig(int maxNumBatchedTokens, int maxNumSeqs, int maxModelLen) {

  public static final int DEFAULT_MAX_NUM_BATCHED_TOKENS = 2048;
  public static final int DEFAULT_MAX_NUM_SEQS = 32;
  public static final int DEFAULT_MAX_MODEL_LEN = 2048;

  public SchedulerConfig {
    if (maxNumBatchedTokens < 1 || maxNumSeqs < 1 || maxModelLen < 1) {
      throw new IllegalArgumentException("scheduler limits must be positive: max_num_batched_tokens="
          + maxNumBatchedTokens + ", max_num_seqs=" + maxNumSeqs + ", max_model_len=" + maxModelLen);
    }
    if (maxNumSeqs > maxNumBatchedTokens) {
      throw new IllegalArgumentException("max_num_seqs (" + maxNumSeqs + ") must not exceed max_num_batched_tokens ("
          + maxNumBatchedTokens + "): each running sequence needs a token of the budget every step");
    }
  }

  public static SchedulerConfig defaults() {
    return new SchedulerConfig(DEFAULT_MAX_NUM_BATCHED_TOKENS, DEFAULT_MAX_NUM_SEQS, DEFAULT_MAX_MODEL_LEN);
  }
}
