package dev.twinmesh.worker.engine;

/** What the engine reports as it works; called from the engine thread only. */
public interface EngineMetrics {

  /** A request's prompt was taken in (after any prefix-cache reuse, {@code computed} of them need compute). */
  void promptTokens(int tokens);

  /** One generated token; {@code gapNanos} since the previous one of the same request, or -1 for its first. */
  void generationToken(long gapNanos);

  /** A request left: finished ("stop", "length"), "abort" or "error". Times in nanoseconds; ttft -1 if none. */
  void requestFinished(String reason, long queueNanos, long ttftNanos, long e2eNanos);

  void preempted(int sequences);

  /** Prefix-cache lookups and hits, in tokens. */
  void prefixCache(int queriedTokens, int hitTokens);

  EngineMetrics NONE = new EngineMetrics() {
    @Override public void promptTokens(int tokens) {}
    @Override public void generationToken(long gapNanos) {}
    @Override public void requestFinished(String reason, long queueNanos, long ttftNanos, long e2eNanos) {}
    @Override public void preempted(int sequences) {}
    @Override public void prefixCache(int queriedTokens, int hitTokens) {}
  };
}
