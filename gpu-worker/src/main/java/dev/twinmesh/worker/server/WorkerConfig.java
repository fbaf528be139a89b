package dev.twinmesh.worker.server;

/**
 * The worker's HTTP settings, validated once.
 *
 * @param maxWaitingRequests admission bound: past it, new requests get 503 with Retry-After
 */
public record WorkerConfig(String host, int port, String workerId, long maxBodyBytes, int maxWaitingRequests) {
  public WorkerConfig {
    if (port < 0 || port > 65535) {
      throw new IllegalArgumentException("worker port must be in [0, 65535], got " + port);
    }
    if (maxWaitingRequests < 1) {
      throw new IllegalArgumentException("max waiting requests must be at least 1");
    }
    if (maxBodyBytes < 1) {
      throw new IllegalArgumentException("max body bytes must be positive");
    }
  }
}
