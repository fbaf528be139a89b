package dev.twinmesh.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
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
    String markdown = Files.readString(files.stream().filter(f -> f.toString().endsWith(".md")).findFirst().orElseThrow());
    assertTrue(markdown.contains("| gateway | 3 | 3 | 3 | 0 |"), markdown);
    assertTrue(markdown.contains("## What the gateway adds"), markdown);
  }

  @Test
  void aWrongKeyCountsAsErrorsAndFailsTheRun(@TempDir Path out) {
    int exit = TwinMesh.commandLine().execute("bench", "http", "--url", gateway, "--api-key", "wrong",
        "--concurrency", "1", "--requests", "2", "--max-tokens", "4", "--warmup", "0", "--out", out.toString());
    assertEquals(1, exit, "no request succeeded");
  }
}
