package dev.twinmesh.app.bench;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/** The benchmark's results as a console table, Markdown and JSON, with the gateway-versus-worker comparison. */
final class HttpBenchReport {
  private final JsonObject settings;
  private final List<LevelStats> levels;
  private final boolean compared;
  private final Optional<PairedRoundsReport> paired;

  /** With {@code paired}, the rows in {@code levels} pool the rounds of each target and level. */
  HttpBenchReport(JsonObject settings, List<LevelStats> levels, boolean compared, Optional<PairedRoundsReport> paired) {
    this.settings = settings;
    this.levels = levels;
    this.compared = compared;
    this.paired = paired;
  }

  /** What the gateway adds at one concurrency: TTFT p50 and aggregate tokens/s, against the worker alone. */
  record Difference(int concurrency, double gatewayTtftP50, double workerTtftP50, double addedTtftP50,
                    double gatewayTokensPerSecond, double workerTokensPerSecond, double tokensPerSecondDifference) {

    static Difference of(LevelStats gateway, LevelStats worker) {
      return new Difference(gateway.concurrency(), gateway.ttftP50(), worker.ttftP50(),
          gateway.ttftP50() - worker.ttftP50(), gateway.tokensPerSecond(), worker.tokensPerSecond(),
          gateway.tokensPerSecond() - worker.tokensPerSecond());
    }

    double tokensPerSecondPercent() {
      return workerTokensPerSecond == 0 ? Double.NaN : 100 * tokensPerSecondDifference / workerTokensPerSecond;
    }

    JsonObject toJson() {
      return new JsonObject()
          .put("concurrency", concurrency)
          .put("gateway_ttft_p50_ms", round(gatewayTtftP50))
          .put("worker_ttft_p50_ms", round(workerTtftP50))
          .put("added_ttft_p50_ms", round(addedTtftP50))
          .put("gateway_tokens_per_second", round(gatewayTokensPerSecond))
          .put("worker_tokens_per_second", round(workerTokensPerSecond))
          .put("tokens_per_second_difference", round(tokensPerSecondDifference))
          .put("tokens_per_second_difference_percent", round(tokensPerSecondPercent()));
    }
  }

  List<Difference> differences() {
    if (!compared) {
      return List.of();
    }
    return levels.stream().filter(l -> l.target().equals("gateway"))
        .map(g -> find("worker", g.concurrency()).map(w -> Difference.of(g, w)))
        .flatMap(Optional::stream).toList();
  }

  private Optional<LevelStats> find(String target, int concurrency) {
    return levels.stream().filter(l -> l.target().equals(target) && l.concurrency() == concurrency).findFirst();
  }

  String table() {
    StringBuilder s = new StringBuilder();
    s.append(String.format(Locale.ROOT, "%-8s %5s %5s %4s %4s %9s %9s %8s %8s %9s %9s %7s %9s%n", "target", "conc",
        "reqs", "ok", "err", "TTFT p50", "TTFT p95", "ITL p50", "ITL p95", "E2E p50", "E2E p95", "prompt", "tok/s"));
    for (LevelStats l : levels) {
      s.append(String.format(Locale.ROOT, "%-8s %5d %5d %4d %4d %9s %9s %8s %8s %9s %9s %7s %9.1f%n", l.target(),
          l.concurrency(), l.requests(), l.ok(), l.errors(), ms(l.ttftP50()), ms(l.ttftP95()), ms(l.itlP50()),
          ms(l.itlP95()), ms(l.e2eP50()), ms(l.e2eP95()), number(l.meanPromptTokens()), l.tokensPerSecond()));
    }
    s.append("(latencies in ms; prompt = mean prompt tokens; tok/s = output tokens of all requests / level wall time)\n");
    for (LevelStats l : levels) {
      l.errorKinds().forEach((kind, n) -> s.append(String.format(Locale.ROOT, "  %s c=%d: %d x %s%n",
          l.target(), l.concurrency(), n, kind)));
    }
    if (compared) {
      s.append(String.format(Locale.ROOT, "%nWhat the gateway adds over the worker alone%s:%n", pooledNote()));
      s.append(String.format(Locale.ROOT, "%5s %14s %14s %15s %13s %13s %17s%n", "conc", "gw TTFT p50", "wk TTFT p50",
          "added TTFT p50", "gw tok/s", "wk tok/s", "tok/s difference"));
      for (Difference d : differences()) {
        s.append(String.format(Locale.ROOT, "%5d %11s ms %11s ms %12s ms %13.1f %13.1f %9.1f (%+.1f%%)%n", d.concurrency(),
            ms(d.gatewayTtftP50()), ms(d.workerTtftP50()), signed(d.addedTtftP50()), d.gatewayTokensPerSecond(),
            d.workerTokensPerSecond(), d.tokensPerSecondDifference(), d.tokensPerSecondPercent()));
      }
    }
    paired.ifPresent(p -> s.append(p.table()));
    return s.toString();
  }

  String markdown() {
    StringBuilder s = new StringBuilder("# twin-mesh bench http\n\n");
    s.append("- started: ").append(settings.getString("started")).append('\n')
        .append("- url: ").append(settings.getString("url")).append('\n');
    if (compared) {
      s.append("- compared with: ").append(settings.getString("compare_url")).append('\n');
    }
    s.append("- endpoint: ").append(settings.getString("endpoint")).append(", model ").append(settings.getString("model"))
        .append(", max_tokens ").append(settings.getInteger("max_tokens")).append(" (ignore_eos), rag ")
        .append(settings.getBoolean("rag") ? "on" : "off").append('\n')
        .append("- requests per level: ").append(settings.getInteger("requests_per_level"))
        .append(" (at least the concurrency), warm-up ").append(settings.getInteger("warmup")).append(" per target\n\n");
    s.append("| target | concurrency | requests | ok | errors | TTFT p50 ms | TTFT p95 ms | ITL p50 ms | ITL p95 ms "
        + "| E2E p50 ms | E2E p95 ms | prompt tokens | output tok/s |\n");
    s.append("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n");
    for (LevelStats l : levels) {
      s.append(String.format(Locale.ROOT, "| %s | %d | %d | %d | %d | %s | %s | %s | %s | %s | %s | %s | %.1f |%n",
          l.target(), l.concurrency(), l.requests(), l.ok(), l.errors(), ms(l.ttftP50()), ms(l.ttftP95()),
          ms(l.itlP50()), ms(l.itlP95()), ms(l.e2eP50()), ms(l.e2eP95()), number(l.meanPromptTokens()),
          l.tokensPerSecond()));
    }
    if (compared) {
      s.append("\n## What the gateway adds").append(pooledNote()).append("\n\n");
      s.append("| concurrency | gateway TTFT p50 ms | worker TTFT p50 ms | added TTFT p50 ms | gateway tok/s "
          + "| worker tok/s | tok/s difference |\n|---:|---:|---:|---:|---:|---:|---:|\n");
      for (Difference d : differences()) {
        s.append(String.format(Locale.ROOT, "| %d | %s | %s | %s | %.1f | %.1f | %.1f (%+.1f%%) |%n", d.concurrency(),
            ms(d.gatewayTtftP50()), ms(d.workerTtftP50()), signed(d.addedTtftP50()), d.gatewayTokensPerSecond(),
            d.workerTokensPerSecond(), d.tokensPerSecondDifference(), d.tokensPerSecondPercent()));
      }
    }
    paired.ifPresent(p -> s.append(p.markdown()));
    s.append("\nTTFT: request sent to first event with text. ITL: gaps between events with text, pooled over requests. "
        + "tok/s: output tokens (from the usage chunk) of all successful requests over the level's wall time.\n");
    return s.toString();
  }

  JsonObject json() {
    JsonArray results = new JsonArray();
    levels.forEach(l -> results.add(l.toJson()));
    JsonObject json = new JsonObject().put("benchmark", "http").put("settings", settings).put("levels", results);
    if (compared) {
      JsonArray diffs = new JsonArray();
      for (Difference d : differences()) {
        diffs.add(d.toJson());
      }
      json.put("gateway_vs_worker", diffs);
    }
    paired.ifPresent(p -> p.addTo(json));
    return json;
  }

  private String pooledNote() {
    return paired.isPresent() ? " (all rounds pooled)" : "";
  }

  private static String ms(double value) {
    return Double.isNaN(value) ? "-" : String.format(Locale.ROOT, "%.1f", value);
  }

  static String signed(double value) {
    return Double.isNaN(value) ? "-" : String.format(Locale.ROOT, "%+.1f", value);
  }

  private static String number(double value) {
    return Double.isNaN(value) ? "-" : String.format(Locale.ROOT, "%.0f", value);
  }

  static Double round(double value) {
    return Double.isNaN(value) ? null : Math.round(value * 100) / 100.0;
  }
}
