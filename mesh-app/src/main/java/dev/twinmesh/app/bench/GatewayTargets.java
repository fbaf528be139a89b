package dev.twinmesh.app.bench;

import static dev.twinmesh.app.bench.HttpBenchReport.round;
import static dev.twinmesh.app.bench.HttpBenchReport.signed;

import dev.twinmesh.app.bench.HttpBenchReport.Difference;
import io.vertx.core.json.JsonObject;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.function.ToDoubleFunction;

/**
 * The project's targets for what the gateway adds over a worker alone, judged on paired rounds: at most
 * 1 ms more p50 time to first token at the lowest concurrency (one stream: nothing queues, so TTFT is the
 * relay path), and at most 3% fewer aggregate tokens/s at the highest (where the gateway's per-token work
 * competes with the engine for the cores).
 */
final class GatewayTargets {
  static final double MAX_ADDED_TTFT_MS = 1.0;
  static final double MAX_TOKENS_LOSS_PERCENT = 3.0;
  static final String ADDED_TTFT = "added_ttft_p50_ms";
  static final String TOKENS_PERCENT = "tokens_per_second_difference_percent";

  private GatewayTargets() {}

  /** The two verdicts, or none without levels. */
  static List<Verdict> judge(List<PairedLevel> levels) {
    if (levels.isEmpty()) {
      return List.of();
    }
    PairedLevel lowest = levels.stream().min(Comparator.comparingInt(PairedLevel::concurrency)).orElseThrow();
    PairedLevel highest = levels.stream().max(Comparator.comparingInt(PairedLevel::concurrency)).orElseThrow();
    return List.of(
        verdict(ADDED_TTFT, lowest, lowest.addedTtft(), Difference::addedTtftP50, MAX_ADDED_TTFT_MS, true),
        verdict(TOKENS_PERCENT, highest, highest.tokensPercent(), Difference::tokensPerSecondPercent,
            -MAX_TOKENS_LOSS_PERCENT, false));
  }

  private static Verdict verdict(String metric, PairedLevel level, Spread spread, ToDoubleFunction<Difference> value,
                                 double limit, boolean atMost) {
    int within = (int) level.rounds().stream().mapToDouble(p -> value.applyAsDouble(p.difference()))
        .filter(v -> within(v, limit, atMost)).count();
    return new Verdict(metric, level.concurrency(), limit, atMost, spread, within);
  }

  private static boolean within(double value, double limit, boolean atMost) {
    return !Double.isNaN(value) && (atMost ? value <= limit : value >= limit);
  }

  /**
   * One target judged on the median of the paired rounds.
   *
   * @param atMost       whether the limit is an upper bound (added TTFT) or a lower one (tokens/s change)
   * @param roundsWithin how many single rounds met the limit on their own: how sure the median's verdict is
   */
  record Verdict(String metric, int concurrency, double limit, boolean atMost, Spread spread, int roundsWithin) {

    /** Null when a round had nothing to compare. */
    Boolean met() {
      return spread.known() ? within(spread.median(), limit, atMost) : null;
    }

    private boolean ttft() {
      return metric.equals(ADDED_TTFT);
    }

    String line() {
      String unit = ttft() ? " ms" : "%";
      Boolean met = met();
      String outcome = met == null ? "UNKNOWN (a round had no successful request)" : met ? "MET" : "NOT MET";
      return String.format(Locale.ROOT,
          "%s at c=%d: median %s%s over %d rounds (min %s%s, max %s%s; %d of %d rounds within) -> target %s %+.1f%s: %s",
          ttft() ? "TTFT p50 added" : "tok/s difference", concurrency, signed(spread.median()), unit, spread.count(),
          signed(spread.min()), unit, signed(spread.max()), unit, roundsWithin, spread.count(),
          atMost ? "<=" : ">=", limit, unit, outcome);
    }

    JsonObject toJson() {
      return new JsonObject()
          .put("metric", metric)
          .put("concurrency", concurrency)
          .put("limit", limit)
          .put("bound", atMost ? "at_most" : "at_least")
          .put("median", round(spread.median()))
          .put("min", round(spread.min()))
          .put("max", round(spread.max()))
          .put("rounds", spread.count())
          .put("rounds_within", roundsWithin)
          .put("met", met());
    }
  }
}
