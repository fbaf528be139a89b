package dev.twinmesh.gateway;

import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClientAgent;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.RequestOptions;
import java.net.InetAddress;
import java.net.URI;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps the worker pool true: probes each worker's {@code /health} on a timer and, when the workers
 * come from a DNS name (a Kubernetes headless service), re-resolves it so new pods join and gone ones
 * leave.
 */
final class WorkerHealth {
  private static final Logger LOG = LoggerFactory.getLogger(WorkerHealth.class);

  private final Vertx vertx;
  private final HttpClientAgent client;
  private final WorkerPool pool;
  private final Duration interval;
  private final String dnsName;

  /** @param dnsName {@code host:port} whose A records are the workers, or null for a static list */
  WorkerHealth(Vertx vertx, HttpClientAgent client, WorkerPool pool, Duration interval, String dnsName) {
    this.vertx = vertx;
    this.client = client;
    this.pool = pool;
    this.interval = interval;
    this.dnsName = dnsName == null || dnsName.isBlank() ? null : dnsName;
  }

  void start() {
    if (dnsName != null) {
      resolve();
      vertx.setPeriodic(interval.toMillis() * 5, t -> resolve());
    }
    vertx.setPeriodic(interval.toMillis(), t -> probeAll());
  }

  private void probeAll() {
    for (WorkerPool.Worker worker : pool.all()) {
      RequestOptions options = new RequestOptions().setMethod(HttpMethod.GET)
          .setAbsoluteURI(worker.resolve("/health").toString())
          .setTimeout(Math.max(2000, interval.toMillis()));
      client.request(options)
          .compose(req -> req.send())
          .onSuccess(resp -> {
            resp.body();
            mark(worker, resp.statusCode() == 200);
          })
          .onFailure(e -> unanswered(worker, e));
    }
  }

  /**
   * A probe that got no answer (timed out, refused) counts as one failure toward ejection, like a failed
   * request: one late answer from a busy worker or a paused JVM must not take the worker out, while a
   * worker that is gone leaves after a few probes (and requests that hit it meanwhile move elsewhere).
   */
  private void unanswered(WorkerPool.Worker worker, Throwable e) {
    boolean was = worker.healthy;
    pool.failed(worker);
    if (was && !worker.healthy) {
      LOG.info("worker {} is unhealthy: {}", worker.id(), e.getMessage());
    }
  }

  private void mark(WorkerPool.Worker worker, boolean ok) {
    boolean before = worker.healthy;
    pool.healthChecked(worker, ok);
    if (before != worker.healthy) {
      LOG.info("worker {} is {}", worker.id(), worker.healthy ? "healthy again" : "unhealthy");
    }
  }

  private void resolve() {
    int colon = dnsName.lastIndexOf(':');
    String host = colon < 0 ? dnsName : dnsName.substring(0, colon);
    int port = colon < 0 ? 8081 : Integer.parseInt(dnsName.substring(colon + 1));
    vertx.executeBlocking(() -> Arrays.stream(InetAddress.getAllByName(host))
            .map(a -> URI.create("http://" + a.getHostAddress() + ":" + port)).toList(), false)
        .onSuccess((List<URI> uris) -> pool.replace(uris))
        .onFailure(e -> LOG.warn("cannot resolve worker name {}: {}", dnsName, e.getMessage()));
  }
}
