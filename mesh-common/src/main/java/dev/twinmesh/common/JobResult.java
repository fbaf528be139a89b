package dev.twinmesh.common;

/**
 * The one answer to a {@link JobRequest}, on {@code twin.jobs.results.v1} keyed by job id (a compacted
 * topic: the latest record per job is its answer). Times are epoch milliseconds.
 *
 * @param enqueuedAt  when the request reached Kafka (its record timestamp)
 * @param startedAt   when a jobs consumer began generating it
 * @param attempts    generations tried, this one included
 */
public record JobResult(
    String schema,
    String jobId,
    String status,
    String model,
    String answer,
    String finishReason,
    Usage usage,
    String traceId,
    Timings timings,
    int attempts) {

  public static final String STATUS_DONE = "done";

  /** queueMs: enqueued to started; generationMs: started to finished (retrieval, queue on the worker, decode). */
  public record Timings(long enqueuedAt, long startedAt, long finishedAt, long queueMs, long generationMs) {}
}
