/**
 * The continuous-batching core of the engine, in plain Java: no tensors, no DJL.
 *
 * <ul>
 *   <li>{@link dev.twinmesh.worker.scheduler.Sequence}: one request's state (tokens, computed count,
 *       block table, status, parameters).
 *   <li>{@link dev.twinmesh.worker.scheduler.BlockManager}: the paged KV cache as integers: free lists,
 *       reference counts, a verified prefix cache of full blocks.
 *   <li>{@link dev.twinmesh.worker.scheduler.Scheduler}: policy: one token budget per step, running
 *       sequences first, chunked prefill, preemption by recompute, aborts.
 *   <li>{@link dev.twinmesh.worker.scheduler.SchedulerOutput}: the immutable plan of one step, all the
 *       model runner needs to build its batch.
 * </ul>
 *
 * <p>The engine thread loops {@code schedule -> run -> postprocess}; see {@link
 * dev.twinmesh.worker.scheduler.Scheduler}.
 */
package dev.twinmesh.worker.scheduler;
