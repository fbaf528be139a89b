package dev.twinmesh.worker.engine;

/**
 * Where the engine thread's busy time goes, summed over steps: the model runner's forward pass versus
 * the bookkeeping around it (scheduling, sampling, postprocessing, detokenizing and handing events on).
 * Two {@code System.nanoTime()} calls per phase per step: cheap enough to stay on in production.
 *
 * @param steps           steps that ran the model
 * @param tokens          tokens those steps computed (prompt chunks and decode tokens)
 * @param scheduleNanos   admitting, cancelling and {@code Scheduler.schedule()}
 * @param executeNanos    {@code ModelRunner.execute}: the forward pass and the logits copy out
 * @param sampleNanos     {@code Sampler.sample} over every sequence that produced a token
 * @param postprocessNanos {@code Scheduler.postprocess}, detokenizing and emitting events
 */
public record EngineStats(long steps, long tokens, long scheduleNanos, long executeNanos, long sampleNanos,
                          long postprocessNanos) {

  public static final EngineStats ZERO = new EngineStats(0, 0, 0, 0, 0, 0);

  public long stepNanos() {
    return scheduleNanos + executeNanos + sampleNanos + postprocessNanos;
  }

  /** Share of step time outside the forward pass: scheduler, sampler and detokenizer together. */
  public double overheadFraction() {
    long total = stepNanos();
    return total == 0 ? 0 : (double) (total - executeNanos) / total;
  }

  /** What happened between {@code earlier} and this snapshot. */
  public EngineStats minus(EngineStats earlier) {
    return new EngineStats(steps - earlier.steps, tokens - earlier.tokens, scheduleNanos - earlier.scheduleNanos,
        executeNanos - earlier.executeNanos, sampleNanos - earlier.sampleNanos,
        postprocessNanos - earlier.postprocessNanos);
  }

  EngineStats plusStep(int stepTokens, long schedule, long execute, long sample, long postprocess) {
    return new EngineStats(steps + 1, tokens + stepTokens, scheduleNanos + schedule, executeNanos + execute,
        sampleNanos + sample, postprocessNanos + postprocess);
  }
}
