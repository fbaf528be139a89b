package dev.twinmesh.worker.scheduler;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.twinmesh.worker.scheduler.SchedulerOutput.Finished;
import dev.twinmesh.worker.scheduler.SchedulerOutput.ScheduledSequence;
import dev.twinmesh.worker.scheduler.Sequence.FinishReason;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Drives the scheduler as the engine would, with a fake model, over many staggered random requests
 * under a tiny KV pool, so that chunking, preemption, prefix sharing and aborts all happen, and checks
 * everything every step.
 *
 * <p>The fake model keeps a fake KV cache: computing position {@code p} writes a fingerprint of the
 * sequence's tokens {@code [0, p]} into p's slot, and before "sampling" it checks that every slot the
 * sequence attends to holds the right fingerprint. A block handed to two sequences by mistake, a
 * prefix-cache hit on a wrong block, or a recompute that skipped something shows up as a wrong
 * fingerprint. Sampled tokens are a fixed function of (request, index), so the final completions are
 * known in advance; there is no end token, so every request not aborted ends with exactly max_tokens.
 */
class SchedulerSimulationTest {

  private static final int BLOCK_SIZE = 4;
  private static final int NUM_BLOCKS = 24;
  private static final int BUDGET = 24;
  private static final int MAX_NUM_SEQS = 5;
  private static final int NUM_REQUESTS = 80;

  /** A request of the simulation: its prompt, and all the tokens it will ever have. */
  private record Plan(String id, int arrivalStep, int priority, int maxTokens, int[] allTokens, long[] fingerprints,
                      int numPromptTokens, boolean aborted, int abortStep) {}

  @ParameterizedTest(name = "hash buckets = {0}")
  @ValueSource(longs = {0, 4, 1})
  void manyStaggeredRequestsAllCompleteExactlyUnderATinyPool(long hashBuckets) {
    BlockManager blocks = hashBuckets == 0
        ? new BlockManager(NUM_BLOCKS, BLOCK_SIZE)
        : new BlockManager(NUM_BLOCKS, BLOCK_SIZE,
            (parent, tokens, from, to) -> Math.floorMod(BlockManager.chainHash(parent, tokens, from, to), hashBuckets));
    Scheduler scheduler = new Scheduler(new SchedulerConfig(BUDGET, MAX_NUM_SEQS, 96), blocks);
    Random random = new Random(20261122L);
    List<Plan> plans = plan(random);
    Map<String, Plan> byId = new HashMap<>();
    plans.forEach(p -> byId.put(p.id(), p));
    Map<String, Sequence> sequences = new HashMap<>();
    long[] kv = new long[NUM_BLOCKS * BLOCK_SIZE];
    Map<String, FinishReason> reported = new HashMap<>();

    int step = 0;
    while (reported.size() < plans.size()) {
      for (Plan plan : plans) {
        if (plan.arrivalStep() == step) {
          Sequence seq = new Sequence(plan.id(), java.util.Arrays.copyOf(plan.allTokens(), plan.numPromptTokens()),
              plan.maxTokens(), plan.priority(), plan.arrivalStep(), null, Set.of());
          sequences.put(plan.id(), seq);
          scheduler.add(seq);
        }
        if (plan.aborted() && plan.abortStep() == step) {
          scheduler.abort(plan.id());
        }
      }
      SchedulerOutput output = scheduler.schedule();
      checkStep(scheduler, output, byId);
      for (Finished finished : output.finished()) {
        assertTrue(reported.put(finished.requestId(), finished.reason()) == null, "reported twice: " + finished);
      }
      int[] sampled = runFakeModel(output, byId, kv);
      scheduler.postprocess(output, sampled);
      assertTrue(++step < 20_000, "the simulation does not converge");
    }

    int numAborted = 0;
    for (Plan plan : plans) {
      Sequence seq = sequences.get(plan.id());
      assertTrue(seq.isFinished());
      assertEquals(seq.finishReason(), reported.get(plan.id()));
      if (seq.finishReason() == FinishReason.ABORT) {
        numAborted++;
        assertTrue(plan.aborted());
        continue;
      }
      assertEquals(FinishReason.LENGTH, seq.finishReason(), plan.id());
      assertEquals(plan.maxTokens(), seq.numCompletionTokens(), plan.id());
      assertArrayEquals(java.util.Arrays.copyOfRange(plan.allTokens(), plan.numPromptTokens(), plan.allTokens().length),
          seq.completionTokenIds(), plan.id());
    }
    assertEquals(NUM_BLOCKS, blocks.numFreeBlocks(), "the pool is full again");
    assertEquals(0, scheduler.numRunning() + scheduler.numWaiting());
    assertTrue(scheduler.numPreemptions() > 0, "the pool is small enough to force preemptions");
    assertTrue(numAborted > 0, "some requests were aborted");
    if (hashBuckets == 0) {
      assertTrue(scheduler.numPrefixCacheHitTokens() > 0, "shared prefixes hit the cache");
    }
  }

  /**
   * Requests with random lengths, priorities and arrivals. Most prompts start with a few block-sized
   * chunks drawn from three, so prefixes are shared and equal blocks also follow different prefixes.
   */
  private static List<Plan> plan(Random random) {
    int[][] chunks = new int[3][];
    for (int i = 0; i < chunks.length; i++) {
      chunks[i] = random.ints(BLOCK_SIZE, 0, 50).toArray();
    }
    List<Plan> plans = new ArrayList<>();
    for (int r = 0; r < NUM_REQUESTS; r++) {
      int[] prefix = new int[BLOCK_SIZE * random.nextInt(6)];
      for (int at = 0; at < prefix.length; at += BLOCK_SIZE) {
        System.arraycopy(chunks[random.nextInt(chunks.length)], 0, prefix, at, BLOCK_SIZE);
      }
      int tail = 1 + random.nextInt(16);
      int maxTokens = 1 + random.nextInt(30);
      int[] all = new int[prefix.length + tail + maxTokens];
      System.arraycopy(prefix, 0, all, 0, prefix.length);
      for (int i = prefix.length; i < prefix.length + tail; i++) {
        all[i] = random.nextInt(50); // small vocabulary: prompts resemble each other
      }
      for (int i = 0; i < maxTokens; i++) {
        all[prefix.length + tail + i] = 1_000 + (r * 37 + i * 11) % 500; // what the fake model samples
      }
      boolean aborted = random.nextInt(10) == 0;
      int arrival = random.nextInt(300);
      plans.add(new Plan("r" + r, arrival, random.nextInt(3), maxTokens, all, fingerprints(all),
          prefix.length + tail, aborted, arrival + random.nextInt(40)));
    }
    return plans;
  }

  /** fingerprints[p] identifies tokens [0, p]: what the keys and values of position p depend on. */
  private static long[] fingerprints(int[] tokens) {
    long[] fingerprints = new long[tokens.length];
    long running = 17;
    for (int p = 0; p < tokens.length; p++) {
      running = BlockManager.chainHash(running, tokens, p, p + 1);
      fingerprints[p] = running;
    }
    return fingerprints;
  }

  private static void checkStep(Scheduler scheduler, SchedulerOutput output, Map<String, Plan> byId) {
    assertTrue(output.numScheduledTokens() <= BUDGET);
    assertTrue(output.scheduled().size() <= MAX_NUM_SEQS);
    assertEquals(scheduler.numRunning(), output.scheduled().size(), "every running sequence advances");
    assertTrue(scheduler.kvCacheUsage() >= 0 && scheduler.kvCacheUsage() <= 1);
    Set<String> seen = new HashSet<>();
    for (ScheduledSequence entry : output.scheduled()) {
      assertTrue(seen.add(entry.requestId()));
      assertTrue(entry.numNewTokens() >= 1);
      Plan plan = byId.get(entry.requestId());
      assertArrayEquals(java.util.Arrays.copyOfRange(plan.allTokens(), entry.startPosition(), entry.contextLength()),
          entry.tokenIds(), "the tokens to compute");
    }
  }

  /** Writes the new positions' fingerprints, checks every attended slot, and samples the planned token. */
  private static int[] runFakeModel(SchedulerOutput output, Map<String, Plan> byId, long[] kv) {
    List<ScheduledSequence> scheduled = output.scheduled();
    for (ScheduledSequence entry : scheduled) {
      long[] fingerprints = byId.get(entry.requestId()).fingerprints();
      int[] slots = entry.slotMapping(BLOCK_SIZE);
      for (int i = 0; i < slots.length; i++) {
        kv[slots[i]] = fingerprints[entry.startPosition() + i];
      }
    }
    int[] sampled = new int[scheduled.size()];
    for (int i = 0; i < scheduled.size(); i++) {
      ScheduledSequence entry = scheduled.get(i);
      Plan plan = byId.get(entry.requestId());
      int[] table = entry.blockTable();
      for (int p = 0; p < entry.contextLength(); p++) {
        if (kv[slot(table, p)] != plan.fingerprints()[p]) {
          fail(entry.requestId() + " reads wrong keys and values at position " + p + " (block " + table[p / BLOCK_SIZE] + ")");
        }
      }
      if (entry.samplesToken()) {
        assertNotNull(plan);
        sampled[i] = plan.allTokens()[entry.contextLength()];
      } else {
        sampled[i] = -1;
      }
    }
    return sampled;
  }

  private static int slot(int[] table, int position) {
    return table[position / BLOCK_SIZE] * BLOCK_SIZE + position % BLOCK_SIZE;
  }
}
