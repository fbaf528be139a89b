package dev.twinmesh.worker.scheduler;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.twinmesh.common.ApiException;
import dev.twinmesh.worker.scheduler.SchedulerOutput.Finished;
import dev.twinmesh.worker.scheduler.SchedulerOutput.ScheduledSequence;
import dev.twinmesh.worker.scheduler.Sequence.FinishReason;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

class SchedulerTest {

  private static final int SAMPLED = 7;
  private int nextTokenBase = 1_000;
  private long clock;

  private static Scheduler scheduler(int numBlocks, int blockSize, int budget, int maxNumSeqs) {
    return new Scheduler(new SchedulerConfig(budget, maxNumSeqs, 4096), new BlockManager(numBlocks, blockSize));
  }

  /** A sequence whose prompt shares no token with any other made here. */
  private Sequence seq(String id, int promptLength, int maxTokens) {
    return seq(id, promptLength, maxTokens, 0);
  }

  private Sequence seq(String id, int promptLength, int maxTokens, int priority) {
    int base = nextTokenBase;
    nextTokenBase += 1_000;
    return new Sequence(id, IntStream.range(base, base + promptLength).toArray(), maxTokens, priority, clock++,
        null, Set.of());
  }

  /** One engine step with a fake model that always samples {@link #SAMPLED}. */
  private static SchedulerOutput step(Scheduler scheduler) {
    SchedulerOutput output = scheduler.schedule();
    int[] sampled = new int[output.scheduled().size()];
    java.util.Arrays.fill(sampled, SAMPLED);
    scheduler.postprocess(output, sampled);
    return output;
  }

  private static ScheduledSequence entry(SchedulerOutput output, String requestId) {
    return output.scheduled().stream().filter(e -> e.requestId().equals(requestId)).findFirst().orElse(null);
  }

  private static List<String> ids(SchedulerOutput output) {
    return output.scheduled().stream().map(ScheduledSequence::requestId).toList();
  }

  @Test
  void aShortPromptIsComputedInOneStepThenDecodesOneTokenPerStep() {
    Scheduler scheduler = scheduler(16, 4, 64, 4);
    Sequence a = seq("a", 10, 3);
    scheduler.add(a);

    ScheduledSequence prefill = step(scheduler).scheduled().get(0);
    assertEquals(0, prefill.startPosition());
    assertEquals(10, prefill.numNewTokens());
    assertArrayEquals(a.promptTokenIds(), prefill.tokenIds());
    assertEquals(3, prefill.blockTable().length);
    assertTrue(prefill.samplesToken());
    int[] table = prefill.blockTable();
    assertEquals(table[2] * 4 + 1, prefill.slotMapping(4)[9], "position 9: block 2, offset 1");

    ScheduledSequence decode = step(scheduler).scheduled().get(0);
    assertEquals(10, decode.startPosition());
    assertEquals(1, decode.numNewTokens());
    assertArrayEquals(new int[] {SAMPLED}, decode.tokenIds());
    assertTrue(decode.samplesToken());

    step(scheduler);
    assertTrue(a.isFinished());
    assertEquals(FinishReason.LENGTH, a.finishReason());
    assertArrayEquals(new int[] {SAMPLED, SAMPLED, SAMPLED}, a.completionTokenIds());
    assertEquals(List.of(new Finished("a", FinishReason.LENGTH)), scheduler.schedule().finished());
    assertEquals(16, scheduler.blockManager().numFreeBlocks());
  }

  @Test
  void aLongPromptIsChunkedAcrossStepsWithinTheBudget() {
    Scheduler scheduler = scheduler(16, 4, 16, 4);
    scheduler.add(seq("long", 40, 2));
    List<Integer> chunks = new ArrayList<>();
    List<Boolean> samples = new ArrayList<>();
    for (int i = 0; i < 3; i++) {
      ScheduledSequence e = step(scheduler).scheduled().get(0);
      assertEquals(16 * i, e.startPosition());
      chunks.add(e.numNewTokens());
      samples.add(e.samplesToken());
    }
    assertEquals(List.of(16, 16, 8), chunks);
    assertEquals(List.of(false, false, true), samples, "only the step that ends the prompt samples");
    assertEquals(1, scheduler.sequence("long").numCompletionTokens());
  }

  @Test
  void runningDecodesAreScheduledBeforeNewPrefills() {
    Scheduler scheduler = scheduler(64, 4, 8, 8);
    scheduler.add(seq("a", 3, 10));
    scheduler.add(seq("b", 3, 10));
    step(scheduler); // both prefills, 6 tokens
    scheduler.add(seq("new", 30, 10));

    SchedulerOutput output = step(scheduler);
    assertEquals(List.of("a", "b", "new"), ids(output));
    assertEquals(1, entry(output, "a").numNewTokens());
    assertEquals(1, entry(output, "b").numNewTokens());
    assertEquals(6, entry(output, "new").numNewTokens(), "the new prompt gets what the decodes left");
    assertEquals(8, output.numScheduledTokens());
  }

  @Test
  void aLongPromptIsChunkedWhileRunningDecodesContinueEveryStep() {
    Scheduler scheduler = scheduler(64, 4, 16, 8);
    scheduler.add(seq("a", 2, 50));
    scheduler.add(seq("b", 2, 50));
    step(scheduler);
    Sequence longPrompt = seq("long", 100, 5);
    scheduler.add(longPrompt);

    int computed = 0;
    while (longPrompt.numCompletionTokens() == 0) {
      int decodedA = scheduler.sequence("a").numCompletionTokens();
      SchedulerOutput output = step(scheduler);
      assertEquals(1, entry(output, "a").numNewTokens());
      assertEquals(1, entry(output, "b").numNewTokens());
      assertEquals(decodedA + 1, scheduler.sequence("a").numCompletionTokens(), "a decodes every step");
      ScheduledSequence chunk = entry(output, "long");
      assertEquals(computed, chunk.startPosition(), "chunks follow each other");
      assertTrue(chunk.numNewTokens() <= 14);
      computed += chunk.numNewTokens();
      assertTrue(output.numScheduledTokens() <= 16);
    }
    assertEquals(100, computed);
  }

  @Test
  void theBudgetIsNeverExceededWithManyPrompts() {
    Scheduler scheduler = scheduler(256, 4, 32, 16);
    for (int i = 0; i < 12; i++) {
      scheduler.add(seq("s" + i, 5 + 7 * i, 4));
    }
    while (scheduler.hasUnfinished()) {
      SchedulerOutput output = step(scheduler);
      assertTrue(output.numScheduledTokens() <= 32, "scheduled " + output.numScheduledTokens());
    }
  }

  @Test
  void maxNumSeqsBoundsTheRunningSequences() {
    Scheduler scheduler = scheduler(64, 4, 64, 2);
    scheduler.add(seq("a", 4, 1));
    scheduler.add(seq("b", 4, 3));
    scheduler.add(seq("c", 4, 3));
    SchedulerOutput first = step(scheduler);
    assertEquals(List.of("a", "b"), ids(first));
    assertEquals(1, scheduler.numWaiting());
    // a finished after its first token, so c takes its seat
    SchedulerOutput second = step(scheduler);
    assertEquals(List.of("b", "c"), ids(second));
    assertEquals(2, scheduler.numRunning());
    assertEquals(0, scheduler.numWaiting());
  }

  @Test
  void waitingSequencesAreServedByPriorityThenArrival() {
    Scheduler scheduler = scheduler(64, 4, 64, 1);
    scheduler.add(seq("low early", 4, 1, 0));
    scheduler.add(seq("high late", 4, 1, 5));
    scheduler.add(seq("low late", 4, 1, 0));
    scheduler.add(seq("high latest", 4, 1, 5));
    List<String> order = new ArrayList<>();
    while (scheduler.hasUnfinished()) {
      order.addAll(ids(step(scheduler)));
    }
    assertEquals(List.of("high late", "high latest", "low early", "low late"), order);
  }

  @Test
  void runningOutOfBlocksPreemptsTheLatestArrivalWhichRecomputesAndCompletes() {
    // 6 blocks of 4: each sequence alone needs ceil((8 + 12 - 1) / 4) = 5, so both cannot finish together
    Scheduler scheduler = scheduler(6, 4, 64, 4);
    Sequence first = seq("first", 8, 12);
    Sequence second = seq("second", 8, 12);
    scheduler.add(first);
    scheduler.add(second);

    List<String> preempted = new ArrayList<>();
    int numTokensWhenPreempted = -1;
    ScheduledSequence resumed = null;
    int steps = 0;
    while (scheduler.hasUnfinished()) {
      SchedulerOutput output = step(scheduler);
      if (!output.preempted().isEmpty()) {
        assertEquals(0, second.numComputedTokens());
        numTokensWhenPreempted = second.numTokens();
      }
      preempted.addAll(output.preempted());
      if (numTokensWhenPreempted > 0 && resumed == null) {
        resumed = entry(output, "second");
      }
      assertTrue(++steps < 100);
    }
    // the victim recomputes from a block boundary (its own freed blocks may still be cached) to its last token
    assertTrue(resumed.startPosition() < numTokensWhenPreempted - 1);
    assertEquals(0, resumed.startPosition() % 4);
    assertEquals(numTokensWhenPreempted, resumed.contextLength());
    assertTrue(resumed.samplesToken());
    assertEquals(List.of("second"), preempted);
    assertEquals(1, second.numPreemptions());
    assertEquals(1, scheduler.numPreemptions());
    assertEquals(12, first.numCompletionTokens());
    assertEquals(12, second.numCompletionTokens());
    assertEquals(6, scheduler.blockManager().numFreeBlocks());
  }

  @Test
  void preemptionTakesTheLowestPriorityBeforeTheLatestArrival() {
    Scheduler scheduler = scheduler(6, 4, 64, 4);
    Sequence low = seq("low, early", 8, 12, 0);
    Sequence high = seq("high, late", 8, 12, 5);
    scheduler.add(low);
    scheduler.add(high);
    List<String> preempted = new ArrayList<>();
    while (preempted.isEmpty()) {
      preempted.addAll(step(scheduler).preempted());
    }
    assertEquals(List.of("low, early"), preempted);
    while (scheduler.hasUnfinished()) {
      step(scheduler);
    }
    assertEquals(12, low.numCompletionTokens());
    assertEquals(12, high.numCompletionTokens());
  }

  @Test
  void aPreemptedSequenceWaitsAheadOfLaterArrivals() {
    Scheduler scheduler = scheduler(6, 4, 64, 4);
    Sequence first = seq("first", 8, 12);
    Sequence second = seq("second", 8, 12);
    scheduler.add(first);
    scheduler.add(second);
    SchedulerOutput output;
    do {
      output = step(scheduler);
    } while (output.preempted().isEmpty());
    scheduler.add(seq("later", 2, 1));
    assertEquals(Sequence.Status.WAITING, second.status());
    assertEquals(0, second.numComputedTokens());
    assertEquals(0, second.numBlocks());
    while (second.status() == Sequence.Status.WAITING) {
      List<String> next = ids(step(scheduler));
      if (next.contains("later")) {
        assertTrue(next.contains("second") && next.indexOf("second") < next.indexOf("later"),
            "a later arrival does not overtake the preempted sequence: " + next);
      }
    }
  }

  @Test
  void abortingAWaitingSequenceRemovesItAtTheNextSchedule() {
    Scheduler scheduler = scheduler(16, 4, 64, 1);
    scheduler.add(seq("running", 4, 5));
    scheduler.add(seq("waiting", 4, 5));
    step(scheduler);
    scheduler.abort("waiting");
    scheduler.abort("never existed");
    assertEquals(1, scheduler.numWaiting(), "applied at the next schedule, not before");
    SchedulerOutput output = step(scheduler);
    assertEquals(List.of(new Finished("waiting", FinishReason.ABORT)), output.finished());
    assertEquals(0, scheduler.numWaiting());
    assertNull(scheduler.sequence("waiting"));
  }

  @Test
  void abortingARunningSequenceFreesItsBlocks() {
    Scheduler scheduler = scheduler(16, 4, 64, 4);
    Sequence a = seq("a", 10, 20);
    scheduler.add(a);
    step(scheduler);
    assertEquals(3, scheduler.blockManager().numUsedBlocks());
    scheduler.abort("a");
    SchedulerOutput output = step(scheduler);
    assertTrue(output.isEmpty());
    assertEquals(List.of(new Finished("a", FinishReason.ABORT)), output.finished());
    assertEquals(FinishReason.ABORT, a.finishReason());
    assertEquals(0, scheduler.blockManager().numUsedBlocks());
    assertEquals(0, scheduler.numRunning());
    assertFalse(scheduler.hasUnfinished());
  }

  @Test
  void aPrefixCacheHitSkipsComputingTheSharedBlocks() {
    Scheduler scheduler = scheduler(32, 4, 64, 4);
    int[] shared = IntStream.range(0, 12).toArray();
    Sequence a = new Sequence("a", IntStream.concat(IntStream.of(shared), IntStream.of(100, 101)).toArray(), 5);
    scheduler.add(a);
    step(scheduler); // a's prompt is computed and its three full blocks cached
    Sequence b = new Sequence("b", IntStream.concat(IntStream.of(shared), IntStream.of(200, 201, 202)).toArray(), 2);
    scheduler.add(b);

    ScheduledSequence bStep = entry(step(scheduler), "b");
    assertEquals(12, bStep.startPosition(), "the three shared blocks are not computed again");
    assertEquals(3, bStep.numNewTokens());
    assertArrayEquals(new int[] {200, 201, 202}, bStep.tokenIds());
    assertEquals(a.block(0), bStep.blockTable()[0], "b reads a's block");
    assertEquals(12, b.numCachedPromptTokens());
    assertEquals(14 + 15, scheduler.numPrefixCacheQueryTokens());
    assertEquals(12, scheduler.numPrefixCacheHitTokens());
  }

  @Test
  void aStopTokenFinishesWithStopAndIsReportedOnce() {
    Scheduler scheduler = scheduler(16, 4, 64, 4);
    Sequence a = new Sequence("a", new int[] {1, 2, 3}, 10, 0, 0, null, Set.of(SAMPLED));
    scheduler.add(a);
    SchedulerOutput output = scheduler.schedule();
    List<Sequence> done = scheduler.postprocess(output, new int[] {SAMPLED});
    assertEquals(List.of(a), done);
    assertEquals(FinishReason.STOP, a.finishReason());
    assertEquals(List.of(new Finished("a", FinishReason.STOP)), scheduler.schedule().finished());
    assertEquals(List.of(), scheduler.schedule().finished());
  }

  @Test
  void finishReleasesBlocksAndIsReportedInTheNextOutput() {
    Scheduler scheduler = scheduler(16, 4, 64, 4);
    Sequence a = seq("a", 6, 10);
    scheduler.add(a);
    step(scheduler);
    scheduler.finish(a, FinishReason.STOP); // say the detokenizer found a stop string
    assertEquals(0, scheduler.blockManager().numUsedBlocks());
    assertEquals(List.of(new Finished("a", FinishReason.STOP)), scheduler.schedule().finished());
  }

  @Test
  void aSequenceFinishedBetweenScheduleAndPostprocessIsLeftAlone() {
    Scheduler scheduler = scheduler(16, 4, 64, 4);
    Sequence a = seq("a", 6, 10);
    Sequence b = seq("b", 6, 10);
    scheduler.add(a);
    scheduler.add(b);
    SchedulerOutput output = scheduler.schedule();
    scheduler.finish(a, FinishReason.ABORT);
    List<Sequence> done = scheduler.postprocess(output, new int[] {SAMPLED, SAMPLED});
    assertEquals(List.of(), done);
    assertEquals(0, a.numCompletionTokens());
    assertEquals(1, b.numCompletionTokens());
    assertEquals(2, scheduler.blockManager().numUsedBlocks(), "only b's blocks are held");
  }

  @Test
  void aRequestThatCanNeverFitIsRejectedWhenAdded() {
    Scheduler scheduler = new Scheduler(new SchedulerConfig(64, 4, 100), new BlockManager(10, 4));
    ApiException tooLong = assertThrows(ApiException.class, () -> scheduler.add(seq("long", 60, 41)));
    assertEquals(422, tooLong.status());
    assertTrue(tooLong.getMessage().contains("maximum context length is 100"), tooLong.getMessage());

    ApiException tooBig = assertThrows(ApiException.class, () -> scheduler.add(seq("big", 30, 12)));
    assertEquals(422, tooBig.status());
    assertTrue(tooBig.getMessage().contains("11 KV-cache blocks"), tooBig.getMessage());

    scheduler.add(seq("fits", 30, 11)); // 40 tokens, the last never computed: 10 blocks
    assertEquals(1, scheduler.numWaiting());
  }

  @Test
  void aDuplicateRequestIdIsRefused() {
    Scheduler scheduler = scheduler(16, 4, 64, 4);
    scheduler.add(seq("a", 4, 4));
    assertThrows(IllegalArgumentException.class, () -> scheduler.add(seq("a", 4, 4)));
  }

  @Test
  void schedulingAgainBeforePostprocessIsRefused() {
    Scheduler scheduler = scheduler(16, 4, 64, 4);
    scheduler.add(seq("a", 4, 4));
    SchedulerOutput output = scheduler.schedule();
    assertThrows(IllegalStateException.class, scheduler::schedule);
    scheduler.postprocess(output, new int[] {SAMPLED});
    assertThrows(IllegalStateException.class, () -> scheduler.postprocess(output, new int[] {SAMPLED}));
    scheduler.schedule();
  }

  @Test
  void aFailedStepFinishesItsSequencesWithErrorAndCachesNothing() {
    Scheduler scheduler = scheduler(16, 4, 64, 4);
    scheduler.add(seq("a", 9, 4));
    SchedulerOutput output = scheduler.schedule();
    List<Sequence> failed = scheduler.failStep(output);
    assertEquals(1, failed.size());
    assertEquals(FinishReason.ERROR, failed.get(0).finishReason());
    assertEquals(0, scheduler.blockManager().numUsedBlocks());
    assertEquals(0, scheduler.blockManager().numCachedBlocks());
    assertEquals(List.of(new Finished("a", FinishReason.ERROR)), scheduler.schedule().finished());
  }

  @Test
  void usageReportsQueuesKvCacheAndPreemptions() {
    Scheduler scheduler = scheduler(10, 4, 64, 1);
    scheduler.add(seq("a", 8, 4));
    scheduler.add(seq("b", 8, 4));
    assertEquals(2, scheduler.numWaiting());
    step(scheduler);
    assertEquals(1, scheduler.numRunning());
    assertEquals(1, scheduler.numWaiting());
    assertEquals(0.2, scheduler.kvCacheUsage(), 1e-9);
    assertEquals(0, scheduler.numPreemptions());
  }
}
