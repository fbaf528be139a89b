package dev.twinmesh.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code twin-mesh bench engine} on the tiny preset at a small scale: every level runs to the end and
 * the report holds the figures the targets are judged by. No figure is held to a speed here.
 */
class BenchEngineCommandTest {

  @Test
  void runsEveryLevelAndWritesTheReport(@TempDir Path dir) throws Exception {
    Path model = dir.resolve("tiny");
    assertEquals(0, TwinMesh.commandLine().execute("model", "random", "--preset", "tiny", "--out", model.toString()));
    Path out = dir.resolve("out");

    int exit = TwinMesh.commandLine().execute("bench", "engine", "--model", model.toString(), "--prompt-tokens", "40",
        "--max-tokens", "6", "--concurrency", "1,3", "--threads", "1", "--out", out.toString());

    assertEquals(0, exit);
    JsonObject report = new JsonObject(Files.readString(out.resolve("engine-bench.json")));
    assertEquals(40, report.getInteger("prompt_tokens"));
    assertTrue(report.getDouble("gemm_flops") > 0, report.encodePrettily());
    assertTrue(report.getDouble("bandwidth_bytes_per_s") > 0, report.encodePrettily());
    // the bound is the weight bytes a token reads over that bandwidth: more bandwidth, a higher bound
    assertTrue(report.getDouble("bandwidth_bound_tokens_per_s") > 0, report.encodePrettily());
    JsonArray levels = report.getJsonArray("levels");
    assertEquals(2, levels.size());
    for (int i = 0; i < levels.size(); i++) {
      JsonObject level = levels.getJsonObject(i);
      int streams = level.getInteger("concurrency");
      assertEquals(i == 0 ? 1 : 3, streams);
      // each stream's prompt went through the model, then one token per decode step: the first of its six
      // generated tokens comes out of the prefill
      assertEquals(streams * (40L + 6 - 1), level.getJsonObject("engine").getLong("tokens"), level.encodePrettily());
      assertTrue(level.getDouble("decode_tokens_per_s") > 0, level.encodePrettily());
      assertTrue(level.getDouble("prefill_tokens_per_s") > 0, level.encodePrettily());
      assertTrue(level.getJsonObject("inter_token_ms").getDouble("p50") > 0, level.encodePrettily());
      // procfs is there on the machines the tests run on: a count, never the -1 of "unknown"
      assertTrue(level.getDouble("minor_faults_per_step") >= 0, level.encodePrettily());
    }
    JsonArray targets = report.getJsonArray("targets");
    assertEquals(5, targets.size());
    String markdown = Files.readString(out.resolve("engine-bench.md"));
    assertTrue(markdown.contains("| 1 |") && markdown.contains("| 3 |"), markdown);
    assertTrue(markdown.contains("memory read bandwidth"), markdown);
    assertTrue(markdown.contains("page faults / step"), markdown);
  }
}
