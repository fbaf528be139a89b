package dev.twinmesh.worker.metrics;

import dev.twinmesh.worker.engine.EngineMetrics;

/**
 * Engine metrics that count only once opened. A worker runs one warm-up generation before it reports
 * healthy; that is no client's request, so it must not show in the request and token counters or the
 * latency histograms, and a fresh worker's metrics start at zero, as vLLM's do. The engine reports a
 * request's metrics before it sends the request's last event, so whatever a finished warm-up reports
 * has been reported by the time its caller sees it end and opens the gate.
 */
public final class GatedEngineMetrics implements EngineMetrics {
  private final EngineMetrics delegate;
  private volatile boolean open;

  public GatedEngineMetrics(EngineMetrics delegate) {
    this.delegate = delegate;
  }

  /** From now on every report goes through. */
  public void open() {
    open = true;
  }

  @Override
  public void promptTokens(int tokens) {
    if (open) {
      delegate.promptTokens(tokens);
    }
  }

  @Override
  public void generationToken(long gapNanos) {
    if (open) {
      delegate.generationToken(gapNanos);
    }
  }

  @Override
  public void requestFinished(String reason, long queueNanos, long ttftNanos, long e2eNanos) {
    if (open) {
      delegate.requestFinished(reason, queueNanos, ttftNanos, e2eNanos);
    }
  }

  @Override
  public void preempted(int sequences) {
    if (open) {
      delegate.preempted(sequences);
    }
  }

  @Override
  public void prefixCache(int queriedTokens, int hitTokens) {
    if (open) {
      delegate.prefixCache(queriedTokens, hitTokens);
    }
  }
}
