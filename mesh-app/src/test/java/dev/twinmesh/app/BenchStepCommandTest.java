package dev.twinmesh.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code twin-mesh bench step} on the tiny preset: every case of every round is timed and reported, and
 * the derived rates follow from the step times. No figure is held to a speed here.
 */
class BenchStepCommandTest {

  @Test
  void timesEveryCaseOfEveryRound(@TempDir Path dir) throws Exception {
    Path model = dir.resolve("tiny");
    assertEquals(0, TwinMesh.commandLine().execute("model", "random", "--preset", "tiny", "--out", model.toString()));
    Path out = dir.resolve("out");

    int exit = TwinMesh.commandLine().execute("bench", "step", "--model", model.toString(), "--sequences", "1,3",
        "--context", "40", "--layout", "contiguous,scattered", "--steps", "4", "--warmup", "1", "--rounds", "2",
        "--pool-blocks", "64", "--threads", "1", "--out", out.toString());

    assertEquals(0, exit);
    JsonObject report = new JsonObject(Files.readString(out.resolve("step-bench.json")));
    assertEquals(40, report.getInteger("context"));
    assertEquals(64, report.getJsonObject("kv_pool").getInteger("blocks"));
    String hugePages = System.getenv("THP_MEM_ALLOC_ENABLE");
    assertEquals(hugePages == null ? "not set" : hugePages, report.getString("thp_mem_alloc_enable"));
    JsonArray runs = report.getJsonArray("runs");
    assertEquals(2 * 2 * 2, runs.size(), report.encodePrettily());
    JsonObject first = runs.getJsonObject(0);
    JsonObject last = runs.getJsonObject(runs.size() - 1);
    assertEquals(1, first.getInteger("round"));
    assertEquals(1, first.getInteger("sequences"));
    assertEquals("contiguous", first.getString("layout"));
    assertEquals(2, last.getInteger("round"));
    assertEquals(3, last.getInteger("sequences"));
    assertEquals("scattered", last.getString("layout"));
    for (int i = 0; i < runs.size(); i++) {
      JsonObject run = runs.getJsonObject(i);
      assertEquals(4, run.getInteger("steps"));
      JsonObject ms = run.getJsonObject("step_ms");
      assertTrue(ms.getDouble("min") > 0 && ms.getDouble("min") <= ms.getDouble("p50")
          && ms.getDouble("p50") <= ms.getDouble("p90"), run.encodePrettily());
      // one token per sequence per step, at the median step
      assertEquals(run.getInteger("sequences") * 1000.0 / ms.getDouble("p50"), run.getDouble("tokens_per_s"), 1e-6);
      assertTrue(run.getDouble("flops_per_s") > 0, run.encodePrettily());
    }
    String markdown = Files.readString(out.resolve("step-bench.md"));
    assertTrue(markdown.contains("| 2 | 3 | scattered | 4 |"), markdown);
  }

  @Test
  void refusesAContextPastTheModelsPositions(@TempDir Path dir) {
    String err = refusal(dir, "--context", "100000");

    assertTrue(err.contains("--context must be 1 to"), err);
  }

  @Test
  void refusesABatchThePoolCannotHold(@TempDir Path dir) {
    String err = refusal(dir, "--sequences", "1,3", "--context", "40", "--pool-blocks", "8");

    assertTrue(err.contains("3 sequences of 40 positions need 9 blocks of 16 tokens, but the KV pool has 8"), err);
  }

  /** What {@code bench step} prints when it refuses the given options, checking that it exits non-zero. */
  private static String refusal(Path dir, String... options) {
    Path model = dir.resolve("tiny");
    assertEquals(0, TwinMesh.commandLine().execute("model", "random", "--preset", "tiny", "--out", model.toString()));
    java.io.StringWriter err = new java.io.StringWriter();
    List<String> args = new ArrayList<>(List.of("bench", "step", "--model", model.toString()));
    args.addAll(List.of(options));

    int exit = TwinMesh.commandLine().setErr(new java.io.PrintWriter(err)).execute(args.toArray(String[]::new));

    assertNotEquals(0, exit);
    return err.toString();
  }
}
