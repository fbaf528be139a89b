package dev.twinmesh.worker.scheduler;

import dev.twinmesh.common.ApiException;
import dev.twinmesh.worker.scheduler.Sequence.FinishReason;
import dev.twinmesh.worker.scheduler.Sequence.Status;
import dev.twinmesh.worker.scheduler.SchedulerOutput.Finished;
import dev.twinmesh.worker.scheduler.SchedulerOutput.ScheduledSequence;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * Continuous batching: decides, step by step, which tokens of which sequences the model computes.
 *
 * <p>One token-budget loop, no prefill and decode phases: every sequence has {@code numTokens} (prompt
 * plus generated) and {@code numComputedTokens}, and each step hands out up to {@code
 * max_num_batched_tokens} tokens, running sequences first (each gets at least one token, so a long
 * prompt is chunked and never stalls the decodes), then waiting ones in service order (higher priority
 * first, then earlier arrival) while {@code max_num_seqs} allows. When blocks run out, running
 * sequences are preempted from the tail (lowest priority, latest arrival) by recompute: the victim
 * frees its blocks, keeps its tokens, resets its computed count to 0 and waits again ahead of every
 * later arrival of its priority.
 *
 * <p>The engine thread drives it, and only that thread touches it:
 *
 * <pre>{@code
 * scheduler.add(sequence);                        // new requests; throws ApiException if one can never fit
 * scheduler.abort(requestId);                     // client went away: applied at the next schedule
 * SchedulerOutput step = scheduler.schedule();
 * int[] sampled = runner.run(step);               // one token id per scheduled sequence (ignored where !samplesToken)
 * List<Sequence> done = scheduler.postprocess(step, sampled);
 * scheduler.finish(sequence, FinishReason.STOP);  // e.g. a stop string the detokenizer found
 * }</pre>
 */
public final class Scheduler {

  /** Higher priority first, then earlier arrival, then earlier {@link #add}. */
  static final Comparator<Sequence> SERVICE_ORDER = Comparator.comparingInt(Sequence::priority).reversed()
      .thenComparingLong(Sequence::arrivalNanos)
      .thenComparingLong(Sequence::addOrder);

  /** The full block audit costs O(blocks) per step: on when assertions are (tests), off in production. */
  private static final boolean AUDIT_BLOCKS = Scheduler.class.desiredAssertionStatus();

  private final SchedulerConfig config;
  private final BlockManager blockManager;
  private final TreeSet<Sequence> waiting = new TreeSet<>(SERVICE_ORDER);
  private final List<Sequence> running = new ArrayList<>(); // in SERVICE_ORDER: the tail is preempted first
  private final Map<String, Sequence> unfinished = new HashMap<>();
  private final Set<String> abortRequests = new LinkedHashSet<>();
  private final List<Finished> finishedSinceSchedule = new ArrayList<>();
  private SchedulerOutput pending;            // the step scheduled and not yet postprocessed
  private List<Sequence> pendingSequences;    // its sequences, in the order of its entries
  private long numAdded;
  private long numPreemptions;

  public Scheduler(SchedulerConfig config, BlockManager blockManager) {
    this.config = config;
    this.blockManager = blockManager;
  }

  /**
   * Queues a new sequence.
   *
   * @throws ApiException (422, context_length_exceeded) when prompt plus max_tokens exceeds max_model_len
   *                      or could never fit in the KV cache, even alone
   * @throws IllegalArgumentException when the request id is already in use or the sequence was added before
   */
  public void add(Sequence seq) {
    if (seq.addOrder() >= 0 || seq.status() != Status.WAITING) {
      throw new IllegalArgumentException(seq.requestId() + " was added before");
    }
    if (unfinished.containsKey(seq.requestId())) {
      throw new IllegalArgumentException("request id " + seq.requestId() + " is already in use");
    }
    checkCanEverFit(seq);
    seq.setAddOrder(numAdded++);
    unfinished.put(seq.requestId(), seq);
    waiting.add(seq);
  }

  /** Marks a request to be removed at the next {@link #schedule()}, wherever it is; unknown ids are ignored. */
  public void abort(String requestId) {
    abortRequests.add(requestId);
  }

  /** Decides the next step. Call {@link #postprocess} with its result before scheduling again. */
  public SchedulerOutput schedule() {
    if (pending != null) {
      throw new IllegalStateException("postprocess (or failStep) the previous step before scheduling the next");
    }
    applyAborts();
    List<Sequence> scheduled = new ArrayList<>();
    List<ScheduledSequence> entries = new ArrayList<>();
    List<String> preempted = new ArrayList<>();
    int budget = scheduleRunning(config.maxNumBatchedTokens(), scheduled, entries, preempted);
    if (preempted.isEmpty()) {
      scheduleWaiting(budget, scheduled, entries); // admitting right after a preemption would only thrash
    }
    SchedulerOutput output = new SchedulerOutput(entries, preempted, finishedSinceSchedule);
    finishedSinceSchedule.clear();
    checkInvariants(output, scheduled);
    pending = output.isEmpty() ? null : output;
    pendingSequences = pending == null ? null : scheduled;
    return output;
  }

  /**
   * Records that the step ran: advances each scheduled sequence's computed tokens, registers its newly
   * full blocks in the prefix cache, and appends the sampled token where {@code samplesToken}; a
   * sequence whose token is a stop token, or whose completion reached max_tokens, is finished.
   *
   * @param sampledTokenIds one per {@code output.scheduled()} entry, same order; entries that do not
   *                        sample are ignored
   * @return the sequences this call finished (STOP or LENGTH), their blocks already released
   */
  public List<Sequence> postprocess(SchedulerOutput output, int[] sampledTokenIds) {
    if (output.isEmpty()) {
      return List.of();
    }
    if (output != pending) {
      throw new IllegalStateException("postprocess takes the output of the latest schedule(), once");
    }
    if (sampledTokenIds.length != output.scheduled().size()) {
      throw new IllegalArgumentException(sampledTokenIds.length + " sampled tokens for "
          + output.scheduled().size() + " scheduled sequences");
    }
    List<Sequence> sequences = takePending();
    List<Sequence> finished = new ArrayList<>();
    for (int i = 0; i < sampledTokenIds.length; i++) {
      ScheduledSequence entry = output.scheduled().get(i);
      Sequence seq = sequences.get(i);
      if (seq.isFinished()) {
        continue; // finished since the schedule
      }
      seq.setNumComputedTokens(entry.startPosition() + entry.numNewTokens());
      blockManager.cacheComputedBlocks(seq, entry.startPosition());
      if (entry.samplesToken()) {
        seq.appendToken(sampledTokenIds[i]);
        FinishReason reason = finishReasonAfterSample(seq);
        if (reason != null) {
          finish(seq, reason);
          finished.add(seq);
        }
      }
    }
    return finished;
  }

  /**
   * Gives up a step whose model run failed: every sequence it scheduled finishes with ERROR and its
   * blocks are released; nothing the step should have computed enters the prefix cache.
   *
   * @return the sequences it finished
   */
  public List<Sequence> failStep(SchedulerOutput output) {
    if (output.isEmpty()) {
      return List.of();
    }
    if (output != pending) {
      throw new IllegalStateException("failStep takes the output of the latest schedule(), once");
    }
    List<Sequence> failed = new ArrayList<>();
    for (Sequence seq : takePending()) {
      if (!seq.isFinished()) {
        finish(seq, FinishReason.ERROR);
        failed.add(seq);
      }
    }
    return failed;
  }

  private List<Sequence> takePending() {
    List<Sequence> sequences = pendingSequences;
    pending = null;
    pendingSequences = null;
    return sequences;
  }

  /** Ends a sequence now, wherever it is, and releases its blocks; a finished sequence is left as it is. */
  public void finish(Sequence seq, FinishReason reason) {
    if (seq.isFinished()) {
      return;
    }
    if (unfinished.get(seq.requestId()) != seq) {
      throw new IllegalArgumentException(seq.requestId() + " is not in this scheduler");
    }
    unfinished.remove(seq.requestId());
    if (seq.status() == Status.RUNNING) {
      running.remove(seq);
    } else {
      waiting.remove(seq);
    }
    blockManager.free(seq);
    seq.setFinished(reason);
    finishedSinceSchedule.add(new Finished(seq.requestId(), reason));
  }

  /** The unfinished sequence with this id, or null. */
  public Sequence sequence(String requestId) {
    return unfinished.get(requestId);
  }

  public boolean hasUnfinished() { return !unfinished.isEmpty(); }
  public int numWaiting() { return waiting.size(); }
  public int numRunning() { return running.size(); }
  /** Used KV blocks over all blocks: vllm:kv_cache_usage_perc. */
  public double kvCacheUsage() { return blockManager.usage(); }
  /** Preemptions since start (a counter). */
  public long numPreemptions() { return numPreemptions; }
  /** Prefix-cache queries in tokens (a counter). */
  public long numPrefixCacheQueryTokens() { return blockManager.numQueryTokens(); }
  /** Prefix-cache hits in tokens (a counter). */
  public long numPrefixCacheHitTokens() { return blockManager.numHitTokens(); }
  public SchedulerConfig config() { return config; }
  public BlockManager blockManager() { return blockManager; }

  private void checkCanEverFit(Sequence seq) {
    requireFits(seq.numPromptTokens(), seq.maxTokens());
  }

  /**
   * Refuses a request that could never run: over max_model_len, or more blocks than the whole pool.
   * Reads only immutable settings, so any thread may call it (the HTTP layer does, before queueing).
   */
  public void requireFits(int numPrompt, int maxTokens) {
    int total = numPrompt + maxTokens;
    if (total > config.maxModelLen()) {
      throw ApiException.contextTooLong("This model's maximum context length is " + config.maxModelLen()
          + " tokens. However, you requested " + total + " tokens (" + numPrompt + " in the prompt, "
          + maxTokens + " for the completion). Please reduce the prompt or max_tokens.");
    }
    // the last generated token is never fed back, so it needs no slot
    int numBlocksNeeded = blockManager.numBlocksFor(total - 1);
    if (numBlocksNeeded > blockManager.numBlocks()) {
      throw ApiException.contextTooLong("This request needs up to " + numBlocksNeeded + " KV-cache blocks ("
          + numPrompt + " prompt tokens + " + maxTokens + " max_tokens, " + blockManager.blockSize()
          + " tokens per block), but this worker's cache holds only " + blockManager.numBlocks()
          + " blocks. Please reduce the prompt or max_tokens.");
    }
  }

  private void applyAborts() {
    for (String requestId : abortRequests) {
      Sequence seq = unfinished.get(requestId);
      if (seq != null) {
        finish(seq, FinishReason.ABORT);
      }
    }
    abortRequests.clear();
  }

  /** Gives every running sequence its tokens, front to back, keeping one token for each one behind it. */
  private int scheduleRunning(int budget, List<Sequence> scheduled, List<ScheduledSequence> entries,
                              List<String> preempted) {
    for (int i = 0; i < running.size(); i++) {
      Sequence seq = running.get(i);
      if (seq.numUncomputedTokens() < 1) {
        throw new IllegalStateException(seq.requestId() + " runs with nothing to compute: was a step not postprocessed?");
      }
      int numReserved = running.size() - i - 1;
      int numNew = Math.min(seq.numUncomputedTokens(), budget - numReserved);
      if (!allocateOrPreempt(seq, numNew, preempted)) {
        break; // seq was the tail and preempted itself
      }
      scheduled.add(seq);
      entries.add(describe(seq, numNew));
      budget -= numNew;
    }
    return budget;
  }

  /** Allocates seq's next blocks, preempting from the tail until they fit; false if seq itself went. */
  private boolean allocateOrPreempt(Sequence seq, int numNewTokens, List<String> preempted) {
    while (!blockManager.allocateSlots(seq, numNewTokens)) {
      Sequence victim = running.remove(running.size() - 1);
      preempt(victim);
      preempted.add(victim.requestId());
      if (victim == seq) {
        return false;
      }
    }
    return true;
  }

  private void preempt(Sequence victim) {
    blockManager.free(victim);
    victim.setNumComputedTokens(0);
    victim.setStatus(Status.WAITING);
    victim.countPreemption();
    waiting.add(victim);
    numPreemptions++;
  }

  /** Admits waiting sequences in service order while budget, seats and blocks last; never skips one. */
  private void scheduleWaiting(int budget, List<Sequence> scheduled, List<ScheduledSequence> entries) {
    while (budget > 0 && running.size() < config.maxNumSeqs() && !waiting.isEmpty()) {
      Sequence seq = waiting.first();
      int[] cachedPrefix = blockManager.findCachedPrefix(seq);
      int numNew = Math.min(seq.numTokens() - cachedPrefix.length * blockManager.blockSize(), budget);
      if (!blockManager.allocate(seq, cachedPrefix, numNew)) {
        break;
      }
      waiting.pollFirst();
      seq.setStatus(Status.RUNNING);
      int at = Collections.binarySearch(running, seq, SERVICE_ORDER);
      running.add(-at - 1, seq);
      scheduled.add(seq);
      entries.add(describe(seq, numNew));
      budget -= numNew;
    }
  }

  private static ScheduledSequence describe(Sequence seq, int numNewTokens) {
    int start = seq.numComputedTokens();
    int end = start + numNewTokens;
    return new ScheduledSequence(seq.requestId(), start, numNewTokens, seq.tokenIds(start, end),
        seq.blockTable(), end == seq.numTokens());
  }

  private static FinishReason finishReasonAfterSample(Sequence seq) {
    if (seq.stopTokenIds().contains(seq.lastTokenId())) {
      return FinishReason.STOP;
    }
    return seq.numCompletionTokens() >= seq.maxTokens() ? FinishReason.LENGTH : null;
  }

  /** The invariants of a schedule; a violation is a scheduler bug, so it throws. */
  private void checkInvariants(SchedulerOutput output, List<Sequence> scheduled) {
    check(output.numScheduledTokens() <= config.maxNumBatchedTokens(), "budget exceeded: " + output.numScheduledTokens());
    check(running.size() <= config.maxNumSeqs(), "max_num_seqs exceeded: " + running.size());
    check(output.scheduled().size() == running.size(), "a running sequence was left out of the step");
    check(running.size() + waiting.size() == unfinished.size(), "a sequence is lost or in two queues");
    for (int i = 0; i < scheduled.size(); i++) {
      ScheduledSequence entry = output.scheduled().get(i);
      Sequence seq = scheduled.get(i);
      check(seq.status() == Status.RUNNING && unfinished.get(seq.requestId()) == seq,
          seq.requestId() + " is scheduled but not running");
      check(entry.numNewTokens() >= 1 && entry.startPosition() == seq.numComputedTokens()
          && entry.contextLength() <= seq.numTokens(), "bad token range " + entry);
      check(entry.blockTable().length == blockManager.numBlocksFor(entry.contextLength()),
          "block table does not match the context: " + entry);
    }
    for (Sequence seq : waiting) {
      check(seq.status() == Status.WAITING && seq.numBlocks() == 0 && seq.numComputedTokens() == 0,
          "waiting sequence holds state: " + seq);
    }
    if (AUDIT_BLOCKS) {
      blockManager.checkAccounting(running);
    }
  }

  private static void check(boolean condition, String message) {
    if (!condition) {
      throw new IllegalStateException("scheduler invariant broken: " + message);
    }
  }
}
