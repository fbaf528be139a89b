package dev.twinmesh.gateway;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClientAgent;
import io.vertx.core.http.HttpServer;
import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Active health checks: a worker leaves the pool when it is down, not when one probe was late. */
class WorkerHealthTest {
  private static final Duration INTERVAL = Duration.ofMillis(100);

  Vertx vertx;
  HttpClientAgent client;
  HttpServer server;
  /** What the fake worker's /health answers, "ok" or "503"; while {@code stalls} is positive it answers nothing. */
  volatile String mode = "ok";
  final AtomicInteger stalls = new AtomicInteger();
  final AtomicInteger probes = new AtomicInteger();

  @BeforeEach
  void start() throws Exception {
    vertx = Vertx.vertx();
    client = vertx.createHttpClient();
    server = vertx.createHttpServer().requestHandler(req -> {
      probes.incrementAndGet();
      if (stalls.getAndDecrement() > 0) {
        return;
      }
      req.response().setStatusCode(mode.equals("503") ? 503 : 200).end();
    }).listen(0, "127.0.0.1").await(10, TimeUnit.SECONDS);
  }

  @AfterEach
  void stop() throws Exception {
    vertx.close().await(10, TimeUnit.SECONDS);
  }

  private WorkerPool.Worker watched(int port) {
    WorkerPool pool = new WorkerPool(List.of(URI.create("http://127.0.0.1:" + port)), 3);
    new WorkerHealth(vertx, client, pool, INTERVAL, null).start();
    return pool.all().get(0);
  }

  @Test
  void oneProbeLeftUnansweredDoesNotEjectTheWorker() throws Exception {
    WorkerPool.Worker worker = watched(server.actualPort());
    awaitTrue(() -> probes.get() >= 2, Duration.ofSeconds(10), "the first probes are answered");
    stalls.set(1);
    int stalledAt = probes.get() + 1;
    long deadline = System.nanoTime() + Duration.ofSeconds(15).toNanos();
    while (probes.get() < stalledAt + 6 && System.nanoTime() < deadline) {
      assertTrue(worker.healthy, "a single probe that timed out (a GC pause, a busy machine) must not eject the worker");
      Thread.sleep(5);
    }
    assertTrue(probes.get() >= stalledAt + 6, "probes kept coming after the one left unanswered: " + probes.get());
    assertTrue(worker.healthy);
  }

  @Test
  void aWorkerThatStoppedAnsweringLeavesWithinAFewProbes() throws Exception {
    WorkerPool.Worker worker = watched(server.actualPort());
    awaitTrue(() -> probes.get() >= 2, Duration.ofSeconds(10), "the first probes are answered");
    assertTrue(worker.healthy);
    server.close().await(5, TimeUnit.SECONDS);
    awaitTrue(() -> !worker.healthy, Duration.ofSeconds(5), "the stopped worker is taken out");
  }

  @Test
  void aWorkerThatSaysItIsUnwellLeavesAtOnceAndReturnsWhenWell() throws Exception {
    WorkerPool.Worker worker = watched(server.actualPort());
    awaitTrue(() -> probes.get() >= 2, Duration.ofSeconds(10), "the first probes are answered");
    mode = "503";
    int before = probes.get();
    awaitTrue(() -> !worker.healthy, Duration.ofSeconds(5), "a 503 from /health takes the worker out");
    assertTrue(probes.get() <= before + 2, "at the first probe that got the 503, not after several");
    mode = "ok";
    awaitTrue(() -> worker.healthy, Duration.ofSeconds(5), "a passing probe brings it back");
  }

  private static void awaitTrue(BooleanSupplier condition, Duration timeout, String what) throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (!condition.getAsBoolean()) {
      assertFalse(System.nanoTime() > deadline, what + " within " + timeout);
      Thread.sleep(5);
    }
  }
}
