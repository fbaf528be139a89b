package dev.twinmesh.gateway;

import java.net.URI;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The workers this gateway sends generations to. A worker is healthy while its {@code /health} answers
 * 200 and it has not failed {@code ejectAfterFailures} requests or probes in a row; an ejected worker
 * comes back when a health check passes. Generations go to the healthy worker with the fewest requests in flight.
 */
final class WorkerPool {

  /** One worker and what the gateway knows of it. */
  static final class Worker {
    final URI uri;
    final AtomicInteger outstanding = new AtomicInteger();
    final AtomicInteger consecutiveFailures = new AtomicInteger();
    volatile boolean healthy = true;

    Worker(URI uri) {
      this.uri = uri;
    }

    String id() {
      return uri.getHost() + ":" + uri.getPort();
    }

    URI resolve(String path) {
      return uri.resolve(path);
    }

    boolean tls() {
      return "https".equals(uri.getScheme());
    }

    /** The URL's port, or its scheme's default when it names none. */
    int port() {
      return uri.getPort() >= 0 ? uri.getPort() : tls() ? 443 : 80;
    }
  }

  private final List<Worker> workers = new CopyOnWriteArrayList<>();
  private final int ejectAfterFailures;

  WorkerPool(List<URI> uris, int ejectAfterFailures) {
    this.ejectAfterFailures = ejectAfterFailures;
    uris.forEach(u -> workers.add(new Worker(u)));
  }

  /**
   * The healthy worker with the fewest requests in flight, not in {@code exclude}; its count is taken.
   * When no worker is healthy the unhealthy ones are tried anyway ("panic routing"): a health verdict
   * can be wrong under load, and a worker that is really down refuses at once.
   */
  Optional<Worker> acquire(Set<Worker> exclude) {
    Comparator<Worker> leastBusy = Comparator.comparingInt(w -> w.outstanding.get());
    Optional<Worker> chosen = workers.stream().filter(w -> w.healthy && !exclude.contains(w)).min(leastBusy);
    if (chosen.isEmpty() && !anyHealthy()) {
      chosen = workers.stream().filter(w -> !exclude.contains(w)).min(leastBusy);
    }
    chosen.ifPresent(w -> w.outstanding.incrementAndGet());
    return chosen;
  }

  void release(Worker worker) {
    worker.outstanding.decrementAndGet();
  }

  /** A request reached the worker and it answered properly. */
  void succeeded(Worker worker) {
    worker.consecutiveFailures.set(0);
  }

  /** Passive ejection: enough failures in a row take the worker out until a health check passes. */
  void failed(Worker worker) {
    if (worker.consecutiveFailures.incrementAndGet() >= ejectAfterFailures) {
      worker.healthy = false;
    }
  }

  /**
   * A probe's answer: 200 brings the worker back with a clean slate; anything else is the worker's own
   * word that it takes no requests (loading, draining) and ejects it at once. A probe that gets no answer
   * is not a verdict: it counts as one failed request ({@link #failed}).
   */
  void healthChecked(Worker worker, boolean ok) {
    if (ok) {
      worker.consecutiveFailures.set(0);
    }
    worker.healthy = ok;
  }

  List<Worker> all() {
    return List.copyOf(workers);
  }

  /** Replaces the worker set (a DNS name re-resolved), keeping the state of workers that stay. */
  void replace(List<URI> uris) {
    List<Worker> next = new ArrayList<>();
    for (URI uri : uris) {
      next.add(workers.stream().filter(w -> w.uri.equals(uri)).findFirst().orElseGet(() -> new Worker(uri)));
    }
    workers.retainAll(next);
    next.stream().filter(w -> !workers.contains(w)).forEach(workers::add);
  }

  boolean anyHealthy() {
    return workers.stream().anyMatch(w -> w.healthy);
  }
}
