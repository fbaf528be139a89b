package dev.twinmesh.worker;

import dev.twinmesh.common.SamplingParams;
import dev.twinmesh.worker.engine.Engine;
import dev.twinmesh.worker.engine.GenerationEvent;
import dev.twinmesh.worker.engine.GenerationRequest;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * One short generation before the worker reports healthy: the first forward pass pays for kernel
 * selection and allocator growth, which no client's time to first token should.
 */
final class WarmUp {
  private WarmUp() {}

  static void run(Engine engine, int[] promptIds) {
    CompletableFuture<GenerationEvent> end = new CompletableFuture<>();
    engine.submit(new GenerationRequest("warm-up", promptIds, SamplingParams.greedy(2), 2, 0, System.nanoTime()),
        event -> {
          if (!(event instanceof GenerationEvent.Token)) {
            end.complete(event);
          }
        });
    try {
      GenerationEvent event = end.get(10, TimeUnit.MINUTES);
      if (event instanceof GenerationEvent.Failed failed) {
        throw new IllegalStateException("warm-up generation failed: " + failed.error().getMessage());
      }
    } catch (Exception e) {
      throw new IllegalStateException("warm-up generation did not finish: " + e.getMessage(), e);
    }
  }
}
