package dev.twinmesh.app.bench;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Optional;

/**
 * A twin-mesh service's heap as its {@code /metrics} reports it: in use now (garbage included), after the
 * last collection, and the limit (-Xmx).
 */
record ServerMemory(double heapUsedBytes, double heapAfterGcBytes, double heapMaxBytes) {

  /** Scrapes {@code base/metrics}; empty when the server exports no JVM memory series (a worker, another server). */
  static Optional<ServerMemory> read(URI base) {
    try {
      HttpResponse<String> response = HttpClient.newHttpClient().send(HttpRequest.newBuilder(base.resolve("/metrics"))
          .timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
      return response.statusCode() == 200 ? parse(response.body()) : Optional.empty();
    } catch (java.io.IOException e) {
      return Optional.empty();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return Optional.empty();
    }
  }

  static Optional<ServerMemory> parse(String exposition) {
    double used = sum(exposition, "jvm_memory_used_bytes{", true);
    double max = sum(exposition, "jvm_memory_max_bytes{", true);
    double afterGc = sum(exposition, "jvm_heap_used_after_gc_bytes", false);
    return used < 0 ? Optional.empty() : Optional.of(new ServerMemory(used, afterGc, max));
  }

  /** The sum of the series' non-negative values (heap pools only when {@code heapOnly}), or -1 when none is there. */
  private static double sum(String exposition, String series, boolean heapOnly) {
    double total = -1;
    for (String line : exposition.split("\n")) {
      if (!line.startsWith(series) || (heapOnly && !line.contains("area=\"heap\""))) {
        continue;
      }
      double value = Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
      total = Math.max(total, 0) + Math.max(value, 0);
    }
    return total;
  }
}
