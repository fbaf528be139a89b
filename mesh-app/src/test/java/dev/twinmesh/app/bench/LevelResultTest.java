package dev.twinmesh.app.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.twinmesh.worker.engine.EngineStats;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import org.junit.jupiter.api.Test;

/** Where a level's decode window starts and ends. */
class LevelResultTest {

  private static final long MS = 1_000_000;

  /** A stream whose tokens arrive at the given milliseconds. */
  private static EngineBench.Stream stream(long... millis) {
    EngineBench.Stream s = new EngineBench.Stream(millis.length, new CountDownLatch(1));
    for (long ms : millis) {
      s.tokenNanos[s.count++] = ms * MS;
    }
    return s;
  }

  @Test
  void decodeRunsWhileEveryStreamIsGeneratingAndTheDrainIsReportedApart() {
    // the first stream starts at 10 ms and ends at 50; the second starts at 30 and ends at 90
    LevelResult level = LevelResult.of(2, 0,
        List.of(stream(10, 20, 30, 40, 50), stream(30, 40, 50, 60, 70, 80, 90)), EngineStats.ZERO, 1, 0);
    assertEquals(0.020, level.decodeSeconds(), 1e-9, "from the last first token (30) to the first last token (50)");
    assertEquals(4, level.decodeTokens(), "40 and 50 of each stream");
    assertEquals(200, level.decodeTokensPerSecond(), 1e-6);
    // from 30 to 90: 40 and 50 of the first, 40 to 90 of the second
    assertEquals(8 / 0.060, level.drainTokensPerSecond(), 1e-6);
    assertEquals(0.030, level.prefillSeconds(), 1e-9);
  }

  @Test
  void withoutAMomentOfEveryStreamGeneratingDecodeRunsToTheLastToken() {
    LevelResult level = LevelResult.of(2, 0, List.of(stream(10, 20), stream(30, 40, 50)), EngineStats.ZERO, 1, 0);
    assertEquals(0.020, level.decodeSeconds(), 1e-9);
    assertEquals(2, level.decodeTokens());
    assertEquals(level.drainTokensPerSecond(), level.decodeTokensPerSecond(), 1e-9);
  }

  @Test
  void oneStreamDecodesFromItsFirstTokenToItsLast() {
    LevelResult level = LevelResult.of(1, 0, List.of(stream(100, 120, 140, 160)), EngineStats.ZERO, 1, 0);
    assertEquals(3 / 0.060, level.decodeTokensPerSecond(), 1e-6);
    assertEquals(level.decodeTokensPerSecond(), level.drainTokensPerSecond(), 1e-9);
  }
}
