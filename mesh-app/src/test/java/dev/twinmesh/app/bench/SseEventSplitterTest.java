package dev.twinmesh.app.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The benchmark's SSE parser: events out of bytes cut anywhere. */
class SseEventSplitterTest {

  private static List<String> split(byte[] bytes, int pieceSize) {
    List<String> events = new ArrayList<>();
    SseEventSplitter splitter = new SseEventSplitter(events::add);
    for (int i = 0; i < bytes.length; i += pieceSize) {
      splitter.feed(ByteBuffer.wrap(bytes, i, Math.min(pieceSize, bytes.length - i)));
    }
    return events;
  }

  @Test
  void eventsComeOutWhateverTheCutsIncludingInsideACharacter() {
    byte[] stream = ("data: {\"a\":\"h\u00e9llo \u6f22\u5b57 \ud83d\ude00\"}\n\n: keep-alive\n\n"
        + "data: {\"b\":2}\r\n\r\nevent: x\ndata: line one\ndata: line two\n\ndata: [DONE]\n\n")
        .getBytes(StandardCharsets.UTF_8);
    List<String> expected = List.of("{\"a\":\"h\u00e9llo \u6f22\u5b57 \ud83d\ude00\"}", "{\"b\":2}",
        "line one\nline two", "[DONE]");
    for (int piece = 1; piece <= stream.length; piece++) {
      assertEquals(expected, split(stream, piece), "cut every " + piece + " bytes");
    }
  }

  @Test
  void anUnfinishedEventIsHeldBack() {
    assertEquals(List.of("1"), split("data: 1\n\ndata: 2\n".getBytes(StandardCharsets.UTF_8), 3));
  }

  @Test
  void percentilesAreNearestRank() {
    long[] values = {10, 20, 30, 40, 50, 60, 70, 80, 90, 100};
    assertEquals(50, LevelStats.percentile(values, 50));
    assertEquals(100, LevelStats.percentile(values, 95));
    assertEquals(10, LevelStats.percentile(values, 1));
    assertEquals(7, LevelStats.percentile(new long[] {7}, 95));
    assertEquals(Double.NaN, LevelStats.percentile(new long[0], 50));
  }
}
