package dev.twinmesh.app.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.twinmesh.app.bench.HttpBenchReport.Difference;
import dev.twinmesh.app.bench.PairedLevel.RoundPair;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Median, min and max of paired rounds, the verdicts judged on them, and how runs become pairs and rows. */
class PairedRoundsTest {

  private static RoundPair pair(int round, double gatewayTtft, double workerTtft, double gatewayTokens,
                                double workerTokens) {
    return new RoundPair(round, round % 2 == 0 ? "gateway" : "worker", new Difference(1, gatewayTtft, workerTtft,
        gatewayTtft - workerTtft, gatewayTokens, workerTokens, gatewayTokens - workerTokens));
  }

  @Test
  void theMedianIsTheMiddleValueOrTheMeanOfTheTwoMiddleOnes() {
    assertEquals(new Spread(2, -1, 3, 3), Spread.of(3, -1, 2));
    assertEquals(new Spread(1.0, 0.4, 1.6, 2), Spread.of(1.6, 0.4));
    assertEquals(new Spread(-2.5, -7, 4, 4), Spread.of(4, -7, -3, -2));
    assertFalse(Spread.of(1, Double.NaN, 2).known(), "a round without a measurement");
    assertFalse(Spread.of().known());
  }

  @Test
  void targetsAreJudgedOnTheMediansAtTheLowestAndHighestConcurrency() {
    // c=1: added TTFT +0.5, +1.5, -0.2 ms -> median +0.5, within 1 ms in 2 of 3 rounds
    PairedLevel one = new PairedLevel(1, List.of(pair(0, 70.5, 70.0, 30, 30), pair(1, 71.5, 70.0, 30, 30),
        pair(2, 69.8, 70.0, 30, 30)));
    // c=16 lies between: judged on neither target
    PairedLevel sixteen = new PairedLevel(16, List.of(pair(0, 900, 100, 1, 100), pair(1, 900, 100, 1, 100),
        pair(2, 900, 100, 1, 100)));
    // c=64: tok/s 95, 100, 99 against 100 -> -5%, 0%, -1% -> median -1%, within -3% in 2 of 3 rounds
    PairedLevel sixtyFour = new PairedLevel(64, List.of(pair(0, 500, 500, 95, 100), pair(1, 500, 500, 100, 100),
        pair(2, 500, 500, 99, 100)));

    List<GatewayTargets.Verdict> verdicts = GatewayTargets.judge(List.of(sixtyFour, one, sixteen));

    GatewayTargets.Verdict ttft = verdicts.get(0);
    assertEquals(1, ttft.concurrency());
    assertEquals(0.5, ttft.spread().median(), 1e-9);
    assertEquals(-0.2, ttft.spread().min(), 1e-9);
    assertEquals(1.5, ttft.spread().max(), 1e-9);
    assertEquals(2, ttft.roundsWithin());
    assertEquals(Boolean.TRUE, ttft.met());
    assertEquals("TTFT p50 added at c=1: median +0.5 ms over 3 rounds (min -0.2 ms, max +1.5 ms; 2 of 3 rounds "
        + "within) -> target <= +1.0 ms: MET", ttft.line());

    GatewayTargets.Verdict tokens = verdicts.get(1);
    assertEquals(64, tokens.concurrency());
    assertEquals(new Spread(-1, -5, 0, 3), tokens.spread());
    assertEquals(2, tokens.roundsWithin());
    assertEquals(Boolean.TRUE, tokens.met());
    assertEquals("tok/s difference at c=64: median -1.0% over 3 rounds (min -5.0%, max +0.0%; 2 of 3 rounds within)"
        + " -> target >= -3.0%: MET", tokens.line());
    assertEquals(-3.0, tokens.toJson().getDouble("limit"));
    assertEquals("at_least", tokens.toJson().getString("bound"));
  }

  @Test
  void aMedianPastTheLimitIsNotMetEvenWhenSomeRoundsAreWithin() {
    // added TTFT +1.2, +1.4, +0.8 ms -> median +1.2; tok/s -4%, -3.5%, +1% -> median -3.5%
    PairedLevel level = new PairedLevel(1, List.of(pair(0, 71.2, 70, 96, 100), pair(1, 71.4, 70, 96.5, 100),
        pair(2, 70.8, 70, 101, 100)));
    List<GatewayTargets.Verdict> verdicts = GatewayTargets.judge(List.of(level));
    assertEquals(Boolean.FALSE, verdicts.get(0).met());
    assertEquals(1, verdicts.get(0).roundsWithin());
    assertTrue(verdicts.get(0).line().endsWith("1 of 3 rounds within) -> target <= +1.0 ms: NOT MET"),
        verdicts.get(0).line());
    assertEquals(-3.5, verdicts.get(1).spread().median(), 1e-9);
    assertEquals(Boolean.FALSE, verdicts.get(1).met());
    assertEquals(false, verdicts.get(1).toJson().getBoolean("met"));
  }

  @Test
  void aRoundWithoutSuccessfulRequestsLeavesTheVerdictUnknown() {
    PairedLevel level = new PairedLevel(1, List.of(pair(0, 71, 70, 30, 30), pair(1, Double.NaN, 70, 0, 30)));
    GatewayTargets.Verdict ttft = GatewayTargets.judge(List.of(level)).get(0);
    assertNull(ttft.met());
    assertNull(ttft.toJson().getValue("met"));
    assertTrue(ttft.line().endsWith("UNKNOWN (a round had no successful request)"), ttft.line());
  }

  private static LevelRun run(int round, String target, long ttftMs, long wallSeconds) {
    RequestResult result = new RequestResult(ttftMs * 1_000_000, new long[0], ttftMs * 1_000_000, 8, 5, null);
    return LevelRun.of(round, 0, target, 1, List.of(result), wallSeconds * 1_000_000_000);
  }

  @Test
  void runsArePairedWithinTheirRoundAndPooledPerTarget() {
    RoundRuns runs = new RoundRuns();
    runs.add(run(0, "gateway", 10, 1)); // 8 tok/s
    runs.add(run(0, "worker", 9, 1)); // 8 tok/s
    runs.add(run(1, "worker", 12, 2)); // 4 tok/s
    runs.add(run(1, "gateway", 11, 1)); // 8 tok/s

    List<PairedLevel> paired = runs.paired();
    assertEquals(1, paired.size());
    List<RoundPair> rounds = paired.get(0).rounds();
    assertEquals(List.of("gateway", "worker"), rounds.stream().map(RoundPair::first).toList());
    assertEquals(1.0, rounds.get(0).difference().addedTtftP50(), 1e-9);
    assertEquals(0.0, rounds.get(0).difference().tokensPerSecondPercent(), 1e-9);
    assertEquals(-1.0, rounds.get(1).difference().addedTtftP50(), 1e-9);
    assertEquals(100.0, rounds.get(1).difference().tokensPerSecondPercent(), 1e-9);
    assertEquals(new Spread(0, -1, 1, 2), paired.get(0).addedTtft());

    List<LevelStats> pooled = runs.pooled();
    assertEquals(List.of("gateway", "worker"), pooled.stream().map(LevelStats::target).toList());
    assertEquals(2, pooled.get(0).requests());
    assertEquals(10.0, pooled.get(0).ttftP50(), 1e-9, "nearest rank over both rounds' requests");
    assertEquals(8.0, pooled.get(0).tokensPerSecond(), 1e-9, "16 tokens over 2 s");
    assertEquals(16.0 / 3, pooled.get(1).tokensPerSecond(), 1e-9, "16 tokens over 3 s");
    assertTrue(runs.everyRunAnswered());
  }
}
