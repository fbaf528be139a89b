package dev.twinmesh.worker.checkpoint;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class ProgressBarTest {

  @Test
  void showsBytesDoneOfTotalAndThroughput() {
    long[] now = {0};
    ByteArrayOutputStream sink = new ByteArrayOutputStream();
    ProgressBar bar = new ProgressBar(new PrintStream(sink, true, StandardCharsets.UTF_8), () -> now[0]);
    bar.started(400_000_000L);
    now[0] = 2_000_000_000L;
    bar.advanced(100_000_000L);
    assertEquals("[########                      ]  25% 100/400 MB 50.0 MB/s", bar.line());
    bar.finished();
    String out = sink.toString(StandardCharsets.UTF_8);
    assertTrue(out.startsWith("\r[") && out.endsWith(System.lineSeparator()), out);
  }

  @Test
  void redrawsAtMostFiveTimesASecond() {
    long[] now = {0};
    ByteArrayOutputStream sink = new ByteArrayOutputStream();
    ProgressBar bar = new ProgressBar(new PrintStream(sink, true, StandardCharsets.UTF_8), () -> now[0]);
    bar.started(1000);
    for (int i = 0; i < 100; i++) {
      now[0] += 1_000_000L;
      bar.advanced(10);
    }
    long redraws = sink.toString(StandardCharsets.UTF_8).chars().filter(c -> c == '\r').count();
    assertEquals(1, redraws);
  }
}
