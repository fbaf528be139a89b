package dev.twinmesh.common;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.vertx.core.buffer.Buffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class SseEventParserTest {

  @Test
  void eventsCutAtEveryByteStillArriveWhole() {
    String stream = "data: {\"t\":\"h\u00e9llo \uD83D\uDE00\"}\n\n: keep-alive\n\ndata: [DONE]\n\n";
    byte[] bytes = stream.getBytes(StandardCharsets.UTF_8);
    for (int cut = 1; cut < bytes.length; cut++) {
      List<String> events = new ArrayList<>();
      SseEventParser parser = new SseEventParser(events::add);
      parser.feed(Buffer.buffer().appendBytes(bytes, 0, cut));
      parser.feed(Buffer.buffer().appendBytes(bytes, cut, bytes.length - cut));
      assertEquals(List.of("{\"t\":\"h\u00e9llo \uD83D\uDE00\"}", "[DONE]"), events, "cut at " + cut);
    }
  }

  @Test
  void crlfFramingAndMultiLineDataAreUnderstood() {
    List<String> events = new ArrayList<>();
    SseEventParser parser = new SseEventParser(events::add);
    parser.feed(Buffer.buffer("event: x\r\ndata: a\r\ndata: b\r\n\r\ndata:c\n\n"));
    assertEquals(List.of("a\nb", "c"), events);
  }

  @Test
  void anUnfinishedEventWaits() {
    List<String> events = new ArrayList<>();
    SseEventParser parser = new SseEventParser(events::add);
    parser.feed(Buffer.buffer("data: x\n"));
    assertEquals(List.of(), events);
    parser.feed(Buffer.buffer("\n"));
    assertEquals(List.of("x"), events);
  }
}
