package dev.twinmesh.worker.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.twinmesh.common.ApiException;
import dev.twinmesh.worker.engine.EngineFixture.Built;
import dev.twinmesh.worker.engine.EngineFixture.Collector;
import dev.twinmesh.worker.engine.EngineFixture.Result;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** Cancelled, failed and shut-down requests leave the engine cleanly: no more events, every KV block back in the pool. */
class EngineLifecycleTest extends EngineTestBase {

  @Test
  void aCancelledRunningRequestLeavesAtTheNextStepAndReturnsItsBlocks() throws Exception {
    Built built = fixture.engine(64, 4, 64, 4);
    Collector survivor = new Collector();
    built.engine().submit(fixture.request(fixture.prompt(31, 10), EngineFixture.greedy(40)), survivor);
    Collector cancelled = new Collector();
    GenerationHandle handle = built.engine().submit(fixture.request(fixture.prompt(32, 20), EngineFixture.greedy(200)),
        cancelled);
    awaitTokens(cancelled, 3);
    EngineFixture.Runner.Hold hold = built.runner().hold();
    hold.awaitEntered();
    int beforeCancel = cancelled.events.size();
    handle.cancel(); // while the engine is inside a step
    hold.release().complete(null);
    Result done = Result.of(survivor);
    int seen = cancelled.events.size();
    Thread.sleep(200);

    assertEquals(seen, cancelled.events.size(), "no event after the cancel took effect");
    // the step under way when cancel was called may still deliver its token; no later step runs it
    assertTrue(seen <= beforeCancel + 1, "left at the next step: " + beforeCancel + " events before, " + seen + " after");
    assertFalse(cancelled.end.isDone(), "an aborted request's client is gone: it gets no end event");
    assertEquals(40, done.completionTokens(), "the request beside it is untouched");
    EngineFixture.awaitPoolFull(built);
    assertTrue(built.metrics().finishReasons.contains("abort"), built.metrics().finishReasons.toString());
  }

  @Test
  void aRequestCancelledWhileWaitingNeverRunsAndHoldsNothing() throws Exception {
    Built built = fixture.engine(64, 4, 64, 1); // one seat: the second request waits
    Collector running = new Collector();
    built.engine().submit(fixture.request(fixture.prompt(33, 8), EngineFixture.greedy(30)), running);
    Collector waiting = new Collector();
    GenerationHandle handle = built.engine().submit(fixture.request(fixture.prompt(34, 8), EngineFixture.greedy(30)),
        waiting);
    awaitTokens(running, 2);
    handle.cancel();
    Result.of(running);
    Thread.sleep(100);

    assertTrue(waiting.events.isEmpty(), "the waiting request produced nothing: " + waiting.events);
    EngineFixture.awaitPoolFull(built);
    // the queue counters were released: the engine takes new work
    Collector after = new Collector();
    built.engine().submit(fixture.request(fixture.prompt(35, 8), EngineFixture.greedy(3)), after);
    assertEquals(3, Result.of(after).completionTokens());
  }

  @Test
  void aFailedForwardPassFailsItsRequestsAndReturnsTheirBlocks() throws Exception {
    Built built = fixture.engine(64, 4, 64, 4);
    Collector a = new Collector();
    Collector b = new Collector();
    built.engine().submit(fixture.request(fixture.prompt(36, 12), EngineFixture.greedy(50)), a);
    built.engine().submit(fixture.request(fixture.prompt(37, 12), EngineFixture.greedy(50)), b);
    awaitTokens(a, 2);
    built.runner().failNext = true;

    for (Collector c : List.of(a, b)) {
      GenerationEvent end = c.end.get(EngineFixture.TIMEOUT_SECONDS, TimeUnit.SECONDS);
      assertTrue(end instanceof GenerationEvent.Failed, "failed: " + end);
      assertEquals(500, ((GenerationEvent.Failed) end).error().status());
    }
    Thread.sleep(100);
    assertEquals(0, a.eventsAfterEnd.get() + b.eventsAfterEnd.get(), "nothing after the failure");
    EngineFixture.awaitPoolFull(built);
    assertEquals(2, built.metrics().finishReasons.stream().filter("error"::equals).count());

    Collector after = new Collector();
    built.engine().submit(fixture.request(fixture.prompt(38, 8), EngineFixture.greedy(4)), after);
    assertEquals(4, Result.of(after).completionTokens(), "the engine keeps serving after a failed step");
    EngineFixture.awaitPoolFull(built);
  }

  @Test
  void nanLogitsFailTheirRequestsAndTheEngineKeepsServing() throws Exception {
    Built built = fixture.engine(64, 4, 64, 4);
    Collector a = new Collector();
    built.engine().submit(fixture.request(fixture.prompt(39, 12), EngineFixture.greedy(50)), a);
    awaitTokens(a, 2);
    built.runner().nanNext = true;

    GenerationEvent end = a.end.get(EngineFixture.TIMEOUT_SECONDS, TimeUnit.SECONDS);
    assertTrue(end instanceof GenerationEvent.Failed, "failed: " + end);
    EngineFixture.awaitPoolFull(built);
    Collector after = new Collector();
    built.engine().submit(fixture.request(fixture.prompt(40, 8), EngineFixture.greedy(4)), after);
    assertEquals(4, Result.of(after).completionTokens(), "the engine keeps serving after a failed step");
    EngineFixture.awaitPoolFull(built);
  }

  @Test
  void closingTheEngineFailsRunningAndWaitingRequestsWith503AndRefusesNewOnes() throws Exception {
    Built built = fixture.engine(64, 4, 64, 1); // one seat: the second request waits
    Collector running = new Collector();
    Collector waiting = new Collector();
    built.engine().submit(fixture.request(fixture.prompt(41, 8), EngineFixture.greedy(200)), running);
    built.engine().submit(fixture.request(fixture.prompt(42, 8), EngineFixture.greedy(200)), waiting);
    awaitTokens(running, 2);
    built.engine().close();

    for (Collector c : List.of(running, waiting)) {
      GenerationEvent end = c.end.get(EngineFixture.TIMEOUT_SECONDS, TimeUnit.SECONDS);
      assertTrue(end instanceof GenerationEvent.Failed, "failed: " + end);
      assertEquals(503, ((GenerationEvent.Failed) end).error().status());
    }
    assertEquals(503, assertThrows(ApiException.class,
        () -> built.engine().submit(fixture.request(fixture.prompt(43, 8), EngineFixture.greedy(2)), new Collector()))
        .status());
  }

  @Test
  void aConsumerThatThrowsLosesOnlyItsOwnRequest() throws Exception {
    Built built = fixture.engine(64, 4, 64, 4);
    Collector broken = new Collector() {
      @Override
      public void accept(GenerationEvent event) {
        super.accept(event);
        if (events.size() >= 2) {
          throw new IllegalStateException("the connection is gone");
        }
      }
    };
    Collector healthy = new Collector();
    built.engine().submit(fixture.request(fixture.prompt(44, 10), EngineFixture.greedy(20)), broken);
    built.engine().submit(fixture.request(fixture.prompt(45, 10), EngineFixture.greedy(20)), healthy);

    GenerationEvent.Finished end = healthy.finished();
    assertEquals(20, end.completionTokens());
    assertEquals(20, healthy.tokens().size(), "every token of the request beside it was delivered");
    assertEquals("length", end.finishReason());
    EngineFixture.awaitPoolFull(built);
    int seen = broken.events.size();
    Thread.sleep(100);
    assertEquals(seen, broken.events.size(), "the request whose consumer failed was dropped");
    assertTrue(seen < 20, "dropped early: " + seen + " events");
  }

  static void awaitTokens(Collector c, int count) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(EngineFixture.TIMEOUT_SECONDS);
    while (c.tokens().size() < count && System.nanoTime() < deadline) {
      Thread.sleep(1);
    }
    assertTrue(c.tokens().size() >= count, "tokens arrived");
  }
}
