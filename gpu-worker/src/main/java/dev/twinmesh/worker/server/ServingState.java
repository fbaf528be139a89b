package dev.twinmesh.worker.server;

import dev.twinmesh.worker.engine.GenerationBackend;
import java.util.function.Supplier;

/**
 * Where a worker is in its life: loading the model, serving, draining before exit, or failed. The HTTP
 * server listens from the start so that probes get a 503 with the reason instead of a refused connection.
 */
public final class ServingState {

  public enum Phase { LOADING, READY, DRAINING, FAILED }

  /** What a ready worker serves with. */
  public record Serving(ServedModel model, PromptEncoder encoder, GenerationBackend backend, Supplier<String> metrics) {}

  private volatile Phase phase = Phase.LOADING;
  private volatile Serving serving;
  private volatile String failure;

  public void ready(Serving ready) {
    this.serving = ready;
    this.phase = Phase.READY;
  }

  /** Stop taking new requests; those running finish. */
  public void drain() {
    if (phase == Phase.READY) {
      phase = Phase.DRAINING;
    }
  }

  public void failed(String reason) {
    this.failure = reason;
    this.phase = Phase.FAILED;
  }

  public Phase phase() {
    return phase;
  }

  /** The serving parts once loaded (also while draining), else null. */
  public Serving serving() {
    return serving;
  }

  public String failure() {
    return failure;
  }
}
