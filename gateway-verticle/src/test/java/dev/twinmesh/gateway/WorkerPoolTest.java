package dev.twinmesh.gateway;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URI;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** Routing to the least busy healthy worker, passive ejection, health checks and DNS updates. */
class WorkerPoolTest {
  private static final URI A = URI.create("http://10.0.0.1:8081");
  private static final URI B = URI.create("http://10.0.0.2:8081");
  private static final URI C = URI.create("http://10.0.0.3:8081");

  private static WorkerPool.Worker worker(WorkerPool pool, URI uri) {
    return pool.all().stream().filter(w -> w.uri.equals(uri)).findFirst().orElseThrow();
  }

  @Test
  void eachGenerationGoesToTheLeastBusyWorker() {
    WorkerPool pool = new WorkerPool(List.of(A, B, C), 3);
    assertEquals(A, pool.acquire(Set.of()).orElseThrow().uri);
    assertEquals(B, pool.acquire(Set.of()).orElseThrow().uri);
    assertEquals(C, pool.acquire(Set.of()).orElseThrow().uri);
    WorkerPool.Worker a = pool.acquire(Set.of()).orElseThrow();
    assertEquals(A, a.uri, "all at one: the first again");
    assertEquals(2, a.outstanding.get());
    pool.release(worker(pool, B));
    assertEquals(B, pool.acquire(Set.of()).orElseThrow().uri, "B finished one, so it is the least busy");
  }

  @Test
  void aRetryNeverGoesBackToAWorkerItTried() {
    WorkerPool pool = new WorkerPool(List.of(A, B), 3);
    WorkerPool.Worker first = pool.acquire(Set.of()).orElseThrow();
    pool.release(first);
    WorkerPool.Worker second = pool.acquire(Set.of(first)).orElseThrow();
    assertEquals(B, second.uri);
    assertEquals(Optional.empty(), pool.acquire(Set.of(first, second)), "everyone tried: nobody left");
    assertEquals(1, second.outstanding.get(), "a refused acquire counts nothing");
    assertEquals(0, first.outstanding.get());
  }

  @Test
  void consecutiveFailuresEjectAndASuccessInBetweenForgives() {
    WorkerPool pool = new WorkerPool(List.of(A, B), 3);
    WorkerPool.Worker a = worker(pool, A);
    pool.failed(a);
    pool.failed(a);
    pool.succeeded(a);
    pool.failed(a);
    pool.failed(a);
    assertTrue(a.healthy, "two in a row, not three");
    pool.failed(a);
    assertFalse(a.healthy, "three in a row eject");
    for (int i = 0; i < 4; i++) {
      assertEquals(B, pool.acquire(Set.of()).orElseThrow().uri, "an ejected worker gets nothing");
    }
    assertTrue(pool.anyHealthy());
    pool.failed(worker(pool, B));
    pool.failed(worker(pool, B));
    pool.failed(worker(pool, B));
    assertFalse(pool.anyHealthy());
    WorkerPool.Worker panic = pool.acquire(Set.of()).orElseThrow();
    assertTrue(Set.of(A, B).contains(panic.uri), "with nobody healthy, everyone is tried rather than nobody");
    assertEquals(Optional.empty(), pool.acquire(Set.of(worker(pool, A), worker(pool, B))), "but each only once");
  }

  @Test
  void aPassingHealthCheckBringsAnEjectedWorkerBackWithACleanSlate() {
    WorkerPool pool = new WorkerPool(List.of(A), 2);
    WorkerPool.Worker a = worker(pool, A);
    pool.failed(a);
    pool.failed(a);
    assertFalse(a.healthy);
    pool.healthChecked(a, true);
    assertTrue(a.healthy);
    assertSame(a, pool.acquire(Set.of()).orElseThrow());
    pool.failed(a);
    assertTrue(a.healthy, "the count started again from zero");
    pool.healthChecked(a, false);
    assertFalse(a.healthy, "a failing health check takes it out at once");
  }

  @Test
  void aNewWorkerListKeepsWhatIsKnownOfWorkersThatStay() {
    WorkerPool pool = new WorkerPool(List.of(A, B), 3);
    WorkerPool.Worker b = pool.acquire(Set.of(worker(pool, A))).orElseThrow();
    pool.failed(b);
    pool.replace(List.of(B, C));
    assertEquals(List.of(B, C), pool.all().stream().map(w -> w.uri).toList());
    assertSame(b, worker(pool, B), "the same worker object, with its in-flight count");
    assertEquals(1, b.outstanding.get());
    assertEquals(1, b.consecutiveFailures.get());
    assertEquals(C, pool.acquire(Set.of()).orElseThrow().uri, "the newcomer has nothing in flight");
    pool.release(b);
    assertEquals(0, b.outstanding.get());
  }

  @Test
  void aWorkerIsNamedByHostAndPort() {
    WorkerPool pool = new WorkerPool(List.of(URI.create("http://worker-0.workers:8081/")), 3);
    WorkerPool.Worker w = pool.all().get(0);
    assertEquals("worker-0.workers:8081", w.id());
    assertEquals(URI.create("http://worker-0.workers:8081/v1/chat/completions"), w.resolve("/v1/chat/completions"));
  }

  @Test
  void aWorkerIsReachedAtItsPortOrItsSchemesDefault() {
    WorkerPool pool = new WorkerPool(List.of(URI.create("http://w:8081"), URI.create("http://w"), URI.create("https://w/")), 3);
    List<WorkerPool.Worker> workers = pool.all();
    assertEquals(8081, workers.get(0).port());
    assertEquals(80, workers.get(1).port());
    assertEquals(443, workers.get(2).port());
    assertEquals(List.of(false, false, true), workers.stream().map(WorkerPool.Worker::tls).toList());
  }
}
