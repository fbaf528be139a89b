package dev.twinmesh.worker.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.twinmesh.common.ApiException;
import dev.twinmesh.worker.engine.EngineFixture.Built;
import dev.twinmesh.worker.engine.EngineFixture.Collector;
import dev.twinmesh.worker.engine.EngineFixture.Result;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;

/**
 * Admission at submit: past the waiting queue's bounds (requests or prompt tokens) a request is refused
 * with 503 and may retry; a request that could never fit (max_model_len or the whole KV pool) with 422.
 */
class AdmissionTest extends EngineTestBase {

  @Test
  void pastTheWaitingRequestLimitSubmitThrows503UntilTheQueueDrains() throws Exception {
    Built built = fixture.engine(64, 4, 64, 4, new Engine.Limits(2, 1_000_000));
    List<Collector> accepted = new ArrayList<>();
    CompletableFuture<Void> gate = holdSteps(built, accepted);
    accepted.add(submit(built, 5, 3));
    accepted.add(submit(built, 5, 3)); // two waiting: the limit
    ApiException refused = assertThrows(ApiException.class, () -> submit(built, 5, 3));
    assertEquals(503, refused.status());

    gate.complete(null);
    for (Collector c : accepted) {
      assertEquals(3, Result.of(c).completionTokens());
    }
    EngineFixture.awaitPoolFull(built);
    assertEquals(3, Result.of(submit(built, 5, 3)).completionTokens(), "room again once the queue drained");
  }

  @Test
  void pastTheWaitingTokenLimitSubmitThrows503() throws Exception {
    Built built = fixture.engine(64, 4, 64, 4, new Engine.Limits(100, 50));
    List<Collector> accepted = new ArrayList<>();
    CompletableFuture<Void> gate = holdSteps(built, accepted);
    accepted.add(submit(built, 30, 2));
    ApiException refused = assertThrows(ApiException.class, () -> submit(built, 30, 2));
    assertEquals(503, refused.status());
    accepted.add(submit(built, 20, 2)); // 30 + 20 tokens waiting: exactly the limit

    gate.complete(null);
    for (Collector c : accepted) {
      assertEquals("length", Result.of(c).finishReason());
    }
    EngineFixture.awaitPoolFull(built);
  }

  @Test
  void aRequestThatCanNeverFitThrows422AndOneThatJustFitsRuns() throws Exception {
    Built built = fixture.engine(8, 4, 64, 4); // 32 token slots in all
    ApiException tooLong = assertThrows(ApiException.class,
        () -> submit(built, 200, EngineFixture.MAX_MODEL_LEN - 200 + 1));
    assertEquals(422, tooLong.status());
    ApiException tooBig = assertThrows(ApiException.class, () -> submit(built, 20, 20));
    assertEquals(422, tooBig.status());

    // 20 + 13 tokens: the last generated token is never fed back, so 32 slots are enough
    Result justFits = Result.of(submit(built, 20, 13));
    assertEquals(13, justFits.completionTokens());
    EngineFixture.awaitPoolFull(built);
  }

  @Test
  void aMalformedRequestIsRefusedAtSubmitAndHoldsNoQueueSlot() throws Exception {
    Built built = fixture.engine(64, 4, 64, 4, new Engine.Limits(1, 1_000));
    ApiException empty = assertThrows(ApiException.class, () -> built.engine().submit(
        new GenerationRequest("empty", new int[0], EngineFixture.greedy(4), 4, 0, System.nanoTime()), new Collector()));
    assertEquals(400, empty.status());
    ApiException noTokens = assertThrows(ApiException.class, () -> built.engine().submit(
        new GenerationRequest("none", fixture.prompt(1, 4), EngineFixture.greedy(4), 0, 0, System.nanoTime()),
        new Collector()));
    assertEquals(400, noTokens.status());
    Thread.sleep(100);
    assertEquals(3, Result.of(submit(built, 5, 3)).completionTokens(), "the one queue slot is still free");
    EngineFixture.awaitPoolFull(built);
  }

  /** Holds the engine inside a step of a running request (which no longer waits). */
  private static CompletableFuture<Void> holdSteps(Built built, List<Collector> accepted) throws Exception {
    EngineFixture.Runner.Hold hold = built.runner().hold();
    accepted.add(submit(built, 4, 3));
    hold.awaitEntered();
    return hold.release();
  }

  private static Collector submit(Built built, int promptTokens, int maxTokens) {
    Collector c = new Collector();
    built.engine().submit(fixture.request(fixture.prompt(promptTokens * 31L + maxTokens, promptTokens),
        EngineFixture.greedy(maxTokens)), c);
    return c;
  }
}
