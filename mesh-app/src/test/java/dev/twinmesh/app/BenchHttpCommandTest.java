package dev.twinmesh.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.file.Files;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code twin-mesh bench http} runs against a gateway and its worker and reports both and the difference. */
class BenchHttpCommandTest {
  static TestMesh mesh;
  static String gateway;

  @BeforeAll
  static void start() {
    mesh = TestMesh.start(1, TestMesh.runtime());
    gateway = mesh.gateway(TestMesh.limits(64, 64), Set.of("bench-key"), 1 << 20);
  }

  @AfterAll
  static void stop() {
    if (mesh != null) {
      mesh.close();
    }
  }

  @Test
  void aSmallRunMeasuresGatewayAndWorkerAndWritesJsonAndMarkdown(@TempDir Path out) throws Exception {
    CommandRun run = CommandRun.execute("bench", "http", "--url", gateway, "--api-key", "bench-key",
        "--compare-url", mesh.workerUrl(0), "--concurrency", "1,3", "--requests", "3", "--max-tokens", "8",
        "--warmup", "1", "--out", out.toString());
    String console = run.console();
    int exit = run.exit();
    assertEquals(0, exit, console);
    assertTrue(console.contains("What the gateway adds over the worker alone"), console);
    assertTrue(console.contains("warm-up: gateway  c=1   1 requests, 0 errors"), console);
    assertTrue(console.contains("warm-up: worker   c=1   1 requests, 0 errors"), console);

    List<Path> files;
    try (Stream<Path> listed = Files.list(out)) {
      files = listed.sorted().toList();
    }
    assertEquals(2, files.size(), files.toString());
    JsonObject json = new JsonObject(Files.readString(files.stream().filter(f -> f.toString().endsWith(".json")).findFirst().orElseThrow()));
    JsonArray levels = json.getJsonArray("levels");
    assertEquals(4, levels.size(), "two levels, each against gateway and worker");
    for (Object o : levels) {
      JsonObject level = (JsonObject) o;
      assertEquals(0, level.getInteger("errors"), level.encode());
      assertEquals(level.getInteger("requests"), level.getInteger("ok"));
      assertEquals(8L * level.getInteger("ok"), level.getLong("output_tokens"), "every answer has max_tokens tokens");
      assertTrue(level.getJsonObject("ttft_ms").getDouble("p50") > 0);
      assertNotNull(level.getJsonObject("inter_token_ms").getDouble("p95"));
      assertTrue(level.getDouble("tokens_per_second") > 0);
    }
    assertEquals(3, levels.getJsonObject(2).getInteger("concurrency"));
    // the next level starts with the target the previous one ended with
    assertEquals(List.of("gateway", "worker", "worker", "gateway"),
        levels.stream().map(l -> ((JsonObject) l).getString("target")).toList());
    assertEquals(2, json.getJsonArray("gateway_vs_worker").size());
    assertNull(json.getValue("paired_rounds"), "one round: nothing paired, the report as before");
    assertFalse(console.contains("Targets"), console);
    String markdown = Files.readString(files.stream().filter(f -> f.toString().endsWith(".md")).findFirst().orElseThrow());
    assertTrue(markdown.contains("| gateway | 3 | 3 | 3 | 0 |"), markdown);
    assertTrue(markdown.contains("## What the gateway adds"), markdown);
  }

  @Test
  void twoRoundsReportEachRoundsDifferencesTheirSpreadAndTheTargets(@TempDir Path out) throws Exception {
    CommandRun run = CommandRun.execute("bench", "http", "--url", gateway, "--api-key", "bench-key",
        "--compare-url", mesh.workerUrl(0), "--concurrency", "1,3", "--requests", "3", "--max-tokens", "8",
        "--warmup", "1", "--rounds", "2", "--out", out.toString());
    String console = run.console();
    assertEquals(0, run.exit(), console);
    assertTrue(console.contains("round 2 of 2"), console);
    assertTrue(console.contains("What the gateway adds over the worker alone (all rounds pooled):"), console);
    assertTrue(console.contains("Gateway minus worker, round by round"), console);
    assertTrue(console.contains("Targets, judged on the median of the paired rounds:"), console);
    Pattern verdict = Pattern.compile("(TTFT p50 added at c=1|tok/s difference at c=3): median [-+][0-9.]+(%| ms) over "
        + "2 rounds \\(min .*, max .*; [0-2] of 2 rounds within\\) -> target (<= \\+1\\.0 ms|>= -3\\.0%): (MET|NOT MET)");
    assertEquals(2, verdict.matcher(console).results().count(), console);

    JsonObject json = new JsonObject(Files.readString(report(out, ".json")));
    assertEquals(2, json.getJsonObject("settings").getInteger("rounds"));
    JsonArray levels = json.getJsonArray("levels");
    assertEquals(4, levels.size(), "one row per target and level, the rounds pooled");
    for (Object o : levels) {
      JsonObject level = (JsonObject) o;
      assertEquals(6, level.getInteger("requests"), "3 requests in each of 2 rounds");
      assertEquals(6, level.getInteger("ok"));
      assertEquals(48, level.getLong("output_tokens"));
    }
    JsonArray paired = json.getJsonArray("paired_rounds");
    assertEquals(List.of(1, 3), paired.stream().map(p -> ((JsonObject) p).getInteger("concurrency")).toList());
    // round r at level i runs the gateway first when r + i is even
    List<List<String>> firsts = List.of(List.of("gateway", "worker"), List.of("worker", "gateway"));
    for (int i = 0; i < 2; i++) {
      JsonObject level = paired.getJsonObject(i);
      JsonArray rounds = level.getJsonArray("rounds");
      assertEquals(2, rounds.size(), level.encode());
      assertEquals(List.of(0, 1), rounds.stream().map(r -> ((JsonObject) r).getInteger("round")).toList());
      assertEquals(firsts.get(i), rounds.stream().map(r -> ((JsonObject) r).getString("first")).toList());
      double[] added = rounds.stream().mapToDouble(r -> ((JsonObject) r).getDouble("added_ttft_p50_ms")).toArray();
      JsonObject ttft = level.getJsonObject("added_ttft_p50_ms");
      assertEquals(2, ttft.getInteger("rounds"));
      assertEquals(Math.min(added[0], added[1]), ttft.getDouble("min"), 0.011);
      assertEquals(Math.max(added[0], added[1]), ttft.getDouble("max"), 0.011);
      assertEquals((added[0] + added[1]) / 2, ttft.getDouble("median"), 0.011, "the median of two is their mean");
      assertNotNull(level.getJsonObject("tokens_per_second_difference_percent").getDouble("median"));
    }
    JsonArray targets = json.getJsonArray("targets");
    assertEquals(2, targets.size());
    assertEquals("added_ttft_p50_ms", targets.getJsonObject(0).getString("metric"));
    assertEquals(1, targets.getJsonObject(0).getInteger("concurrency"));
    assertEquals(paired.getJsonObject(0).getJsonObject("added_ttft_p50_ms").getDouble("median"),
        targets.getJsonObject(0).getDouble("median"));
    assertEquals("tokens_per_second_difference_percent", targets.getJsonObject(1).getString("metric"));
    assertEquals(3, targets.getJsonObject(1).getInteger("concurrency"));
    for (Object t : targets) {
      assertNotNull(((JsonObject) t).getBoolean("met"), t.toString());
      assertEquals(2, ((JsonObject) t).getInteger("rounds"));
    }

    String markdown = Files.readString(report(out, ".md"));
    assertTrue(markdown.contains("| gateway | 3 | 6 | 6 | 0 |"), markdown);
    assertTrue(markdown.contains("## Gateway minus worker, round by round"), markdown);
    assertEquals(4, Pattern.compile("(?m)^\\| [13] \\| [01] \\| (gateway|worker) \\|").matcher(markdown).results().count(),
        "one row per level and round: " + markdown);
    assertTrue(markdown.contains("## Targets"), markdown);
    assertEquals(2, verdict.matcher(markdown).results().count(), markdown);
  }

  @Test
  void roundsBelowOneOrWithoutAWorkerToPairWithAreRefused() {
    for (List<String> args : List.of(List.of("--compare-url", "http://127.0.0.1:1", "--rounds", "0"),
        List.of("--rounds", "2"))) {
      StringWriter err = new StringWriter();
      List<String> all = new ArrayList<>(List.of("bench", "http", "--url", "http://127.0.0.1:1", "--warmup", "0"));
      all.addAll(args);
      int exit = TwinMesh.commandLine().setErr(new PrintWriter(err)).execute(all.toArray(String[]::new));
      assertEquals(2, exit, err.toString());
      assertTrue(err.toString().contains(args.contains("0") ? "--rounds must be at least 1, got 0"
          : "--rounds 2 needs --compare-url"), err.toString());
    }
  }

  private static Path report(Path out, String suffix) throws Exception {
    try (Stream<Path> listed = Files.list(out)) {
      return listed.filter(f -> f.toString().endsWith(suffix)).findFirst().orElseThrow();
    }
  }

  @Test
  void aWrongKeyCountsAsErrorsAndFailsTheRun(@TempDir Path out) {
    int exit = TwinMesh.commandLine().execute("bench", "http", "--url", gateway, "--api-key", "wrong",
        "--concurrency", "1", "--requests", "2", "--max-tokens", "4", "--warmup", "0", "--out", out.toString());
    assertEquals(1, exit, "no request succeeded");
  }
}
