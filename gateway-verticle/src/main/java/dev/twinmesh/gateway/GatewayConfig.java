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
    String gatewayId) {

  public static final long DEFAULT_MAX_BODY_BYTES = 1 << 20;

  public GatewayConfig {
    if (port < 0 || port > 65535) {
      throw new IllegalArgumentException("gateway port must be in [0, 65535], got " + port);
    }
    if (workers == null || workers.isEmpty()) {
      throw new IllegalArgumentException("the gateway needs at least one worker URL");
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
  }
}
