package dev.twinmesh.common;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;

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

  @Test
  void wholeEventsAreDeliveredInTheBufferTheyCameInAndCutOnesInACopyThatStaysUnchanged() {
    List<String> seen = new ArrayList<>();
    List<Buffer> holders = new ArrayList<>();
    SseEventParser parser = new SseEventParser((bytes, start, end) -> {
      holders.add(bytes);
      seen.add(bytes.getString(start, end));
    });
    Buffer whole = Buffer.buffer("data: a\n\ndata: b\n\n");
    parser.feed(whole);
    assertSame(whole, holders.get(0), "no copy when a buffer holds whole events");
    assertSame(whole, holders.get(1));
    parser.feed(Buffer.buffer("data: c\n"));
    parser.feed(Buffer.buffer("\ndata: d"));
    Buffer joined = holders.get(2);
    String before = joined.toString();
    parser.feed(Buffer.buffer("\n\n"));
    assertEquals(before, joined.toString(), "a delivered buffer is never appended to");
    assertEquals(List.of("data: a\n\n", "data: b\n\n", "data: c\n\n", "data: d\n\n"), seen);
  }

  @Test
  void aSingleDataLineIsFoundWhereItsPayloadStarts() {
    Buffer bytes = Buffer.buffer("xxdata: {}\n\n");
    assertEquals(8, SseEventParser.singleDataLine(bytes, 2, bytes.length()));
    Buffer two = Buffer.buffer("data: a\ndata: b\n\n");
    assertEquals(-1, SseEventParser.singleDataLine(two, 0, two.length()), "two data lines");
    Buffer comment = Buffer.buffer(": keep-alive\n\n");
    assertEquals(-1, SseEventParser.singleDataLine(comment, 0, comment.length()));
    Buffer crlf = Buffer.buffer("data: a\r\n\r\n");
    assertEquals(-1, SseEventParser.singleDataLine(crlf, 0, crlf.length()), "CRLF framing takes the general path");
  }
}
