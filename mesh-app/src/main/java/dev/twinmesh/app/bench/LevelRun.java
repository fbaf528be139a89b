package dev.twinmesh.app.bench;

import java.util.ArrayList;
import java.util.List;

/**
 * One target's run of one concurrency level in one round: its summary, and the raw results it came from,
 * kept so that the rounds of a target can be pooled into one row.
 *
 * @param level the level's index in --concurrency, not its concurrency, so a repeated value stays apart
 */
record LevelRun(int round, int level, LevelStats stats, List<RequestResult> results, long wallNanos) {

  static LevelRun of(int round, int level, String target, int concurrency, List<RequestResult> results,
                     long wallNanos) {
    return new LevelRun(round, level, LevelStats.of(target, concurrency, results, wallNanos), results, wallNanos);
  }

  String target() {
    return stats.target();
  }

  /**
   * Several runs of the same target and level as one: every request's latencies in the percentiles, and
   * every output token over the summed wall time of the runs.
   */
  static LevelStats pool(List<LevelRun> runs) {
    List<RequestResult> all = new ArrayList<>();
    long wall = 0;
    for (LevelRun run : runs) {
      all.addAll(run.results());
      wall += run.wallNanos();
    }
    LevelStats first = runs.get(0).stats();
    return LevelStats.of(first.target(), first.concurrency(), all, wall);
  }
}
