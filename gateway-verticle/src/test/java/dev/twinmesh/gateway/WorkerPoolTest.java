package dev.twinmesh.gateway;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URI;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

class WorkerPoolTest {
  private final WorkerPool pool = new WorkerPool(List.of(URI.create("http://a:1"), URI.create("http://b:2")), 3);

  private WorkerPool.Worker worker(String host) {
    return pool.all().stream().filter(w -> w.uri.getHost().equals(host)).findFirst().orElseThrow();
  }

  @Test
  void theLeastBusyHealthyWorkerIsChosen() {
    WorkerPool.Worker first = pool.acquire(Set.of()).orElseThrow();
    WorkerPool.Worker second = pool.acquire(Set.of()).orElseThrow();
    assertFalse(first == second, "the second request goes to the idle worker");
    pool.release(first);
    assertEquals(first, pool.acquire(Set.of()).orElseThrow());
  }

  @Test
  void oneSlowProbeDoesNotEjectButTwoDo() {
    pool.healthChecked(worker("a"), false);
    assertTrue(worker("a").healthy);
    pool.healthChecked(worker("a"), false);
    assertFalse(worker("a").healthy);
    assertEquals(worker("b"), pool.acquire(Set.of()).orElseThrow());
    pool.healthChecked(worker("a"), true);
    assertTrue(worker("a").healthy);
  }

  @Test
  void consecutiveRequestFailuresEjectPassively() {
    for (int i = 0; i < 3; i++) {
      pool.failed(worker("b"));
    }
    assertFalse(worker("b").healthy);
  }

  @Test
  void withNoHealthyWorkerEveryWorkerIsStillTriedOnce() {
    for (WorkerPool.Worker w : pool.all()) {
      pool.healthChecked(w, false);
      pool.healthChecked(w, false);
    }
    WorkerPool.Worker first = pool.acquire(Set.of()).orElseThrow();
    WorkerPool.Worker second = pool.acquire(Set.of(first)).orElseThrow();
    assertFalse(first == second);
    assertTrue(pool.acquire(Set.of(first, second)).isEmpty(), "tried them all: the request fails");
  }

  @Test
  void aReResolvedNameKeepsTheStateOfWorkersThatStay() {
    WorkerPool.Worker a = worker("a");
    a.outstanding.set(5);
    pool.replace(List.of(URI.create("http://a:1"), URI.create("http://c:3")));
    assertEquals(2, pool.all().size());
    assertTrue(pool.all().stream().anyMatch(w -> w.uri.getHost().equals("c")));
    assertTrue(pool.all().stream().noneMatch(w -> w.uri.getHost().equals("b")));
    assertEquals(5, worker("a").outstanding.get(), "in-flight count of a kept worker survives");
  }
}
