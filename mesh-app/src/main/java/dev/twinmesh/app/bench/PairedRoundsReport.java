package dev.twinmesh.app.bench;

import static dev.twinmesh.app.bench.HttpBenchReport.round;
import static dev.twinmesh.app.bench.HttpBenchReport.signed;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.List;
import java.util.Locale;

/**
 * The paired rounds of a gateway-versus-worker run, and the targets judged on them, as console table,
 * Markdown and JSON: every round's differences first, so a reader sees what the median was taken of.
 */
final class PairedRoundsReport {
  private final List<PairedLevel> levels;
  private final List<GatewayTargets.Verdict> verdicts;

  PairedRoundsReport(List<PairedLevel> levels) {
    this.levels = levels;
    this.verdicts = GatewayTargets.judge(levels);
  }

  String table() {
    StringBuilder s = new StringBuilder(String.format(Locale.ROOT,
        "%nGateway minus worker, round by round (each round runs a level on both targets back to back):%n"));
    s.append(String.format(Locale.ROOT, "%5s  %-6s %-8s %14s %17s%n", "conc", "round", "first", "added TTFT p50",
        "tok/s difference"));
    for (PairedLevel level : levels) {
      for (PairedLevel.RoundPair pair : level.rounds()) {
        s.append(row(level.concurrency(), String.valueOf(pair.round()), pair.first(), pair.difference().addedTtftP50(),
            pair.difference().tokensPerSecondPercent()));
      }
      Spread ttft = level.addedTtft();
      Spread tokens = level.tokensPercent();
      s.append(row(level.concurrency(), "median", "", ttft.median(), tokens.median()));
      s.append(row(level.concurrency(), "min", "", ttft.min(), tokens.min()));
      s.append(row(level.concurrency(), "max", "", ttft.max(), tokens.max()));
    }
    s.append(String.format(Locale.ROOT, "%nTargets, judged on the median of the paired rounds:%n"));
    verdicts.forEach(v -> s.append("  ").append(v.line()).append('\n'));
    return s.toString();
  }

  private static String row(int concurrency, String round, String first, double ttftMs, double tokensPercent) {
    return String.format(Locale.ROOT, "%5d  %-6s %-8s %11s ms %16s%%%n", concurrency, round, first, signed(ttftMs),
        signed(tokensPercent));
  }

  String markdown() {
    StringBuilder s = new StringBuilder("\n## Gateway minus worker, round by round\n\n");
    s.append("Each round runs a level on both targets back to back, the first target alternating; the targets are "
        + "judged on the median of these paired differences.\n\n");
    s.append("| concurrency | round | first | added TTFT p50 ms | tok/s difference % |\n|---:|---:|---|---:|---:|\n");
    for (PairedLevel level : levels) {
      for (PairedLevel.RoundPair pair : level.rounds()) {
        s.append(String.format(Locale.ROOT, "| %d | %d | %s | %s | %s |%n", level.concurrency(), pair.round(),
            pair.first(), signed(pair.difference().addedTtftP50()), signed(pair.difference().tokensPerSecondPercent())));
      }
    }
    s.append("\n| concurrency | rounds | added TTFT p50 ms median | min | max | tok/s difference % median | min | max |\n"
        + "|---:|---:|---:|---:|---:|---:|---:|---:|\n");
    for (PairedLevel level : levels) {
      Spread ttft = level.addedTtft();
      Spread tokens = level.tokensPercent();
      s.append(String.format(Locale.ROOT, "| %d | %d | %s | %s | %s | %s | %s | %s |%n", level.concurrency(),
          ttft.count(), signed(ttft.median()), signed(ttft.min()), signed(ttft.max()), signed(tokens.median()),
          signed(tokens.min()), signed(tokens.max())));
    }
    s.append("\n## Targets\n\n");
    verdicts.forEach(v -> s.append("- ").append(v.line()).append('\n'));
    return s.toString();
  }

  /** Adds {@code paired_rounds} and {@code targets} to the report's JSON. */
  void addTo(JsonObject json) {
    JsonArray paired = new JsonArray();
    for (PairedLevel level : levels) {
      JsonArray rounds = new JsonArray();
      level.rounds().forEach(p -> rounds.add(p.difference().toJson().put("round", p.round()).put("first", p.first())));
      paired.add(new JsonObject()
          .put("concurrency", level.concurrency())
          .put("rounds", rounds)
          .put("added_ttft_p50_ms", spread(level.addedTtft()))
          .put("tokens_per_second_difference_percent", spread(level.tokensPercent())));
    }
    JsonArray targets = new JsonArray();
    verdicts.forEach(v -> targets.add(v.toJson()));
    json.put("paired_rounds", paired).put("targets", targets);
  }

  private static JsonObject spread(Spread spread) {
    return new JsonObject().put("median", round(spread.median())).put("min", round(spread.min()))
        .put("max", round(spread.max())).put("rounds", spread.count());
  }
}
