package dev.twinmesh.worker.server;

/**
 * The worker's HTTP settings, validated once.
 *
 * <p>The admission bounds live with the engine ({@code Engine.Limits}), which enforces them.
 */
public record WorkerConfig(String host, int port, String workerId, long maxBodyBytes) {
  public WorkerConfig {
    if (port < 0 || port > 65535) {
      throw new IllegalArgumentException("worker port must be in [0, 65535], got " + port);
    }
    if (maxBodyBytes < 1) {
      throw new IllegalArgumentException("max body bytes must be positive");
    }
  }
}
