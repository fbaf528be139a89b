package dev.twinmesh.worker.engine;

import dev.twinmesh.worker.scheduler.SchedulerOutput;

/**
 * Runs the model for one scheduled step over the paged KV cache. The engine's only door to tensors:
 * everything above it works on ints and floats.
 */
public interface ModelRunner extends AutoCloseable {

  /**
   * Computes every scheduled sequence's new tokens in one batched forward pass.
   *
   * @return per scheduled entry, in order: the logits of its last new position when it samples a token
   *     this step, else null
   */
  float[][] execute(SchedulerOutput step);

  @Override
  void close();
}
