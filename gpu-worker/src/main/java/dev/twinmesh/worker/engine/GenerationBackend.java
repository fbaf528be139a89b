package dev.twinmesh.worker.engine;

import java.util.function.Consumer;

/**
 * The narrow boundary between the worker's HTTP layer and the engine. {@code submit} never blocks and
 * never touches tensors; events are delivered on the engine thread, so callers hop back to their own
 * context before writing to a connection.
 */
public interface GenerationBackend {

  /**
   * @throws dev.twinmesh.common.ApiException 503 when the waiting queue is full, 422 when the request can
   *     never fit, 400 when it has no prompt token or max_tokens below 1
   */
  GenerationHandle submit(GenerationRequest request, Consumer<GenerationEvent> events);

  EngineLoad load();

  /** Live load for {@code /info}, {@code /health} and the metrics. */
  record EngineLoad(int waiting, int running, double kvCacheUsage) {}
}
