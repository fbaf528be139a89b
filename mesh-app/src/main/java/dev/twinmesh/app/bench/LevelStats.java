package dev.twinmesh.app.bench;

import io.vertx.core.json.JsonObject;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The summary of one target at one concurrency: latencies in milliseconds (nearest-rank percentiles
 * over successful requests; inter-token gaps pooled over all of them), and tokens per second over the
 * level's wall time.
 */
record LevelStats(String target, int concurrency, int requests, int ok, int errors,
                  double ttftP50, double ttftP95, double itlP50, double itlP95, double e2eP50, double e2eP95,
                  long outputTokens, double meanPromptTokens, double wallSeconds, double tokensPerSecond, Map<String, Integer> errorKinds) {

  static LevelStats of(String target, int concurrency, List<RequestResult> results, long wallNanos) {
    List<RequestResult> good = results.stream().filter(RequestResult::ok).toList();
    long[] ttft = good.stream().mapToLong(RequestResult::ttftNanos).sorted().toArray();
    long[] e2e = good.stream().mapToLong(RequestResult::totalNanos).sorted().toArray();
    long[] gaps = good.stream().flatMapToLong(r -> Arrays.stream(r.gapsNanos())).sorted().toArray();
    long tokens = good.stream().mapToLong(RequestResult::outputTokens).sum();
    double promptTokens = good.stream().mapToInt(RequestResult::promptTokens).average().orElse(Double.NaN);
    Map<String, Integer> kinds = new LinkedHashMap<>();
    results.stream().filter(r -> !r.ok()).forEach(r -> kinds.merge(r.error(), 1, Integer::sum));
    double wall = wallNanos / 1e9;
    return new LevelStats(target, concurrency, results.size(), good.size(), results.size() - good.size(),
        ms(percentile(ttft, 50)), ms(percentile(ttft, 95)), ms(percentile(gaps, 50)), ms(percentile(gaps, 95)),
        ms(percentile(e2e, 50)), ms(percentile(e2e, 95)), tokens, promptTokens, wall, wall > 0 ? tokens / wall : 0, kinds);
  }

  /** Nearest rank: the smallest value with at least p% of the values at or below it; NaN when empty. */
  static double percentile(long[] sorted, double p) {
    if (sorted.length == 0) {
      return Double.NaN;
    }
    int rank = (int) Math.ceil(p / 100.0 * sorted.length);
    return sorted[Math.max(0, Math.min(sorted.length - 1, rank - 1))];
  }

  private static double ms(double nanos) {
    return nanos / 1e6;
  }

  JsonObject toJson() {
    return new JsonObject()
        .put("target", target)
        .put("concurrency", concurrency)
        .put("requests", requests)
        .put("ok", ok)
        .put("errors", errors)
        .put("ttft_ms", new JsonObject().put("p50", round(ttftP50)).put("p95", round(ttftP95)))
        .put("inter_token_ms", new JsonObject().put("p50", round(itlP50)).put("p95", round(itlP95)))
        .put("e2e_ms", new JsonObject().put("p50", round(e2eP50)).put("p95", round(e2eP95)))
        .put("output_tokens", outputTokens)
        .put("mean_prompt_tokens", round(meanPromptTokens))
        .put("wall_seconds", round(wallSeconds))
        .put("tokens_per_second", round(tokensPerSecond))
        .put("error_kinds", new JsonObject(new LinkedHashMap<String, Object>(errorKinds)));
  }

  private static Double round(double value) {
    return Double.isNaN(value) ? null : Math.round(value * 100) / 100.0;
  }
}
