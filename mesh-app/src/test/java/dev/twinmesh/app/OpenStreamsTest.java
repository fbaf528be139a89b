package dev.twinmesh.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.twinmesh.common.TraceRecord;
import dev.twinmesh.gateway.GatewayConfig;
import dev.twinmesh.worker.WorkerSettings;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Many streams open at once through the gateway, most of them queued at the worker: every one opens, gets
 * keep-alives while it waits, and ends with its answer or stays open, none fails; the client leaving
 * cancels the rest at the worker. The same check as {@code bench http --open-streams 5000}, scaled down.
 */
class OpenStreamsTest {
  private static final int STREAMS = 300;
  static TestMesh mesh;
  static String gateway;

  @BeforeAll
  static void start() {
    mesh = TestMesh.start(1, new WorkerSettings.Runtime("cpu", 1, 2048, 8, STREAMS));
    gateway = mesh.gateway(new GatewayConfig.Limits(STREAMS, STREAMS, Duration.ofSeconds(2), 3, Duration.ofMillis(200)),
        Set.of(), GatewayConfig.DEFAULT_MAX_BODY_BYTES);
  }

  @AfterAll
  static void stop() {
    if (mesh != null) {
      mesh.close();
    }
  }

  @Test
  void everyStreamOpensAndGetsItsAnswerOrStaysOpenAndTheRestIsCancelledWhenTheClientLeaves(@TempDir Path out)
      throws Exception {
    CommandRun run = CommandRun.execute("bench", "http", "--url", gateway, "--endpoint", "completions",
        "--open-streams", String.valueOf(STREAMS), "--hold", "PT2S", "--max-tokens", "64", "--out", out.toString());
    String console = run.console();
    int exit = run.exit();
    assertEquals(0, exit, console);
    assertTrue(console.contains("opened " + STREAMS + " of " + STREAMS + " streams"), console);
    Matcher held = Pattern.compile("(\\d+) answered \\(\\[DONE\\]\\), (\\d+) still open, 0 failed; (\\d+) keep-alive").matcher(console);
    assertTrue(held.find(), console);
    assertEquals(STREAMS, Integer.parseInt(held.group(1)) + Integer.parseInt(held.group(2)), console);
    assertTrue(Integer.parseInt(held.group(2)) > 0, "a queue this long outlasts the hold: " + console);
    assertTrue(Integer.parseInt(held.group(3)) > 0, "queued streams hear keep-alives: " + console);

    mesh.awaitLoad(0, load -> load.getInteger("running") == 0 && load.getInteger("waiting") == 0,
        Duration.ofSeconds(20), "the worker drops the streams whose client left");
    long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
    while (mesh.traces.size() < STREAMS && System.nanoTime() < deadline) {
      Thread.sleep(20);
    }
    assertEquals(STREAMS, mesh.traces.size(), "one trace per stream");
    long cancelled = mesh.traces.stream().filter(t -> t.status().equals(TraceRecord.STATUS_CANCELLED)).count();
    // a stream may end with its answer between the count and the client leaving: at most the open ones are cancelled
    assertTrue(cancelled > 0 && cancelled <= Integer.parseInt(held.group(2)), cancelled + " cancelled: " + console);
    assertTrue(mesh.traces.stream().noneMatch(t -> t.status().equals(TraceRecord.STATUS_FAILED)));
  }
}
