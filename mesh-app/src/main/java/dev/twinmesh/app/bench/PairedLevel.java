package dev.twinmesh.app.bench;

import dev.twinmesh.app.bench.HttpBenchReport.Difference;
import java.util.List;

/**
 * One concurrency level's gateway-minus-worker differences, one per round. Each round ran the two targets
 * back to back, so a difference compares runs that saw the same machine; the noise between rounds is what
 * the spread of these differences shows.
 */
record PairedLevel(int concurrency, List<RoundPair> rounds) {

  /** One round's pair: which target ran first, and the difference of the two runs. */
  record RoundPair(int round, String first, Difference difference) {}

  /** Added p50 time to first token, ms. */
  Spread addedTtft() {
    return Spread.of(rounds.stream().mapToDouble(p -> p.difference().addedTtftP50()).toArray());
  }

  /** Aggregate tokens/s difference in percent of the worker's. */
  Spread tokensPercent() {
    return Spread.of(rounds.stream().mapToDouble(p -> p.difference().tokensPerSecondPercent()).toArray());
  }
}
