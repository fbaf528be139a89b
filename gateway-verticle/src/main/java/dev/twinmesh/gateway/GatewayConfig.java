package dev.twinmesh.gateway;

import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.Set;

/**
 * Everything the gateway reads from flags and environment, validated once.
 *
 * @param servedModels model names clients may ask for; the workers serve them
 * @param apiKeys      accepted Bearer keys; empty means no authentication (local runs only)
 */
public record GatewayConfig(
    String host,
    int port,
    List<URI> workers,
    Set<String> servedModels,
    long maxBodyBytes,
    Set<String> apiKeys,
    Duration ragTimeout,
    String gatewayId,
    Limits limits,
    List<String> corsOrigins,
    String workerDns) {

  /**
   * @param maxInFlight         generations in flight for the whole gateway; past it, 429
   * @param maxInFlightPerKey   the same bound per API key
   * @param healthInterval      how often each worker's /health is probed
   * @param ejectAfterFailures  consecutive failed requests that take a worker out until it is healthy again
   * @param keepAliveInterval   an SSE comment is sent when a stream has been silent this long
   */
  public record Limits(int maxInFlight, int maxInFlightPerKey, Duration healthInterval, int ejectAfterFailures,
                       Duration keepAliveInterval) {
    public Limits {
      if (maxInFlight < 1 || maxInFlightPerKey < 1 || ejectAfterFailures < 1) {
        throw new IllegalArgumentException("gateway limits must be at least 1");
      }
    }

    public static Limits defaults() {
      return new Limits(8192, 8192, Duration.ofSeconds(2), 3, Duration.ofSeconds(5));
    }
  }

  public static final long DEFAULT_MAX_BODY_BYTES = 1 << 20;

  /** A gateway with default limits, no CORS origins and a static worker list. */
  public static GatewayConfig of(String host, int port, List<URI> workers, Set<String> servedModels, Set<String> apiKeys) {
    return new GatewayConfig(host, port, workers, servedModels, DEFAULT_MAX_BODY_BYTES, apiKeys, null, null, null, null, null);
  }

  public GatewayConfig {
    if (port < 0 || port > 65535) {
      throw new IllegalArgumentException("gateway port must be in [0, 65535], got " + port);
    }
    workers = workers == null ? List.of() : workers;
    if (workers.isEmpty() && (workerDns == null || workerDns.isBlank())) {
      throw new IllegalArgumentException("the gateway needs worker URLs or a worker DNS name (host:port)");
    }
    for (URI worker : workers) {
      if (worker.getHost() == null || !(worker.getScheme().equals("http") || worker.getScheme().equals("https"))) {
        throw new IllegalArgumentException("worker URL must be http(s)://host:port, got " + worker);
      }
    }
    if (servedModels == null || servedModels.isEmpty()) {
      throw new IllegalArgumentException("the gateway needs at least one served model name");
    }
    if (maxBodyBytes <= 0) {
      throw new IllegalArgumentException("max body bytes must be positive");
    }
    workers = List.copyOf(workers);
    servedModels = Set.copyOf(servedModels);
    apiKeys = apiKeys == null ? Set.of() : Set.copyOf(apiKeys);
    ragTimeout = ragTimeout == null ? Duration.ofSeconds(10) : ragTimeout;
    gatewayId = gatewayId == null ? "gateway" : gatewayId;
    limits = limits == null ? Limits.defaults() : limits;
    corsOrigins = corsOrigins == null ? List.of() : List.copyOf(corsOrigins);
  }
}
