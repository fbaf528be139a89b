package dev.twinmesh.gateway;

import java.net.URI;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

/** The workers this gateway sends generations to, chosen by least outstanding requests. */
final class WorkerPool {

  /** One worker and how many of our requests it is serving right now. */
  static final class Worker {
    final URI uri;
    final AtomicInteger outstanding = new AtomicInteger();

    Worker(URI uri) {
      this.uri = uri;
    }

    String id() {
      return uri.getHost() + ":" + uri.getPort();
    }

    URI resolve(String path) {
      return uri.resolve(path);
    }
  }

  private final List<Worker> workers;

  WorkerPool(List<URI> uris) {
    this.workers = uris.stream().map(Worker::new).toList();
  }

  /** The worker with the fewest requests in flight; its count is taken until {@link #release}. */
  Worker acquire() {
    Worker chosen = workers.stream().min(Comparator.comparingInt(w -> w.outstanding.get())).orElseThrow();
    chosen.outstanding.incrementAndGet();
    return chosen;
  }

  void release(Worker worker) {
    worker.outstanding.decrementAndGet();
  }

  Worker any() {
    return workers.get(0);
  }
}
