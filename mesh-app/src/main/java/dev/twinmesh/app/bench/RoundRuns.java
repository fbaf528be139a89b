package dev.twinmesh.app.bench;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/** Every level run of a benchmark, in the order they ran, as per-target rows and as gateway-worker pairs. */
final class RoundRuns {
  static final String GATEWAY = "gateway";
  static final String WORKER = "worker";

  private final List<LevelRun> runs = new ArrayList<>();

  void add(LevelRun run) {
    runs.add(run);
  }

  /** Whether every run had at least one successful request (the bench's exit code). */
  boolean everyRunAnswered() {
    return runs.stream().allMatch(r -> r.stats().ok() > 0);
  }

  /**
   * One row per target and level, in the order the first round ran them, with all rounds pooled. Pooled
   * rather than the first round alone: every measured request counts, and since the rounds alternate
   * which target goes first, a pooled row gives neither target the first position's advantage. The
   * median of the paired rounds ({@link #paired()}) judges the targets; these rows describe the load.
   * With one round a row is exactly that round's run.
   */
  List<LevelStats> pooled() {
    Map<String, List<LevelRun>> byTargetAndLevel = new LinkedHashMap<>();
    for (LevelRun run : runs) {
      byTargetAndLevel.computeIfAbsent(run.level() + "/" + run.target(), k -> new ArrayList<>()).add(run);
    }
    return byTargetAndLevel.values().stream().map(LevelRun::pool).toList();
  }

  /**
   * Per level (in --concurrency order), each round's gateway run against the worker run of the same round.
   * The two runs of a round and level are a gateway and a worker (only --compare-url pairs runs), and the
   * one added first is the one that ran first.
   */
  List<PairedLevel> paired() {
    Map<Integer, List<PairedLevel.RoundPair>> byLevel = new TreeMap<>();
    Map<String, LevelRun> firstOfPair = new HashMap<>();
    for (LevelRun run : runs) {
      LevelRun first = firstOfPair.putIfAbsent(run.round() + "/" + run.level(), run);
      if (first == null) {
        continue;
      }
      LevelRun gateway = run.target().equals(GATEWAY) ? run : first;
      LevelRun worker = gateway == run ? first : run;
      byLevel.computeIfAbsent(run.level(), k -> new ArrayList<>()).add(new PairedLevel.RoundPair(run.round(),
          first.target(), HttpBenchReport.Difference.of(gateway.stats(), worker.stats())));
    }
    return byLevel.values().stream()
        .map(pairs -> new PairedLevel(pairs.get(0).difference().concurrency(), List.copyOf(pairs))).toList();
  }
}
