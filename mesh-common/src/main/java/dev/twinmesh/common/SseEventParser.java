package dev.twinmesh.common;

import io.vertx.core.buffer.Buffer;
import java.nio.charset.StandardCharsets;
import java.util.function.Consumer;

/**
 * Splits a Server-Sent Events byte stream into events. Bytes may arrive cut anywhere, even inside a
 * UTF-8 character, so text is decoded only once an event is complete. Comment lines (keep-alives) are
 * skipped; multi-line data is joined with newlines as the spec says.
 *
 * <p>Events can be had as their data text, or as where they lie in the bytes that hold them, so a relay
 * can forward them without decoding. A buffer handed to {@link Frames} is never changed afterwards.
 */
public final class SseEventParser {

  /** Receives each complete event as a range of a buffer, then hears when everything fed so far was delivered. */
  public interface Frames {
    /** {@code bytes[start, end)} is one event, its blank line included. */
    void event(Buffer bytes, int start, int end);

    /** Every complete event of the bytes fed so far has been delivered; the rest waits for more bytes. */
    default void drained() {}
  }

  private static final int DATA_PREFIX = "data: ".length();

  private final Frames frames;
  private Buffer pending;

  public SseEventParser(Consumer<String> onData) {
    this((bytes, start, end) -> {
      String data = data(bytes, start, end);
      if (data != null) {
        onData.accept(data);
      }
    });
  }

  public SseEventParser(Frames frames) {
    this.frames = frames;
  }

  public void feed(Buffer bytes) {
    // a stream's buffers usually hold whole events: then they are delivered as they came, uncopied
    Buffer buffer = pending == null ? bytes
        : Buffer.buffer(pending.length() + bytes.length()).appendBuffer(pending).appendBuffer(bytes);
    int start = 0;
    int end;
    while ((end = eventEnd(buffer, start)) >= 0) {
      int next = end + separatorLength(buffer, end);
      frames.event(buffer, start, next);
      start = next;
    }
    pending = start == buffer.length() ? null : buffer.getBuffer(start, buffer.length());
    frames.drained();
  }

  /** Index where the first complete event from {@code from} ends (a blank line follows), or -1. */
  private static int eventEnd(Buffer buffer, int from) {
    for (int i = from; i + 1 < buffer.length(); i++) {
      byte a = buffer.getByte(i);
      if (a == '\n' && buffer.getByte(i + 1) == '\n') {
        return i;
      }
      if (a == '\r' && buffer.getByte(i + 1) == '\n' && i + 3 < buffer.length() && buffer.getByte(i + 2) == '\r'
          && buffer.getByte(i + 3) == '\n') {
        return i;
      }
    }
    return -1;
  }

  private static int separatorLength(Buffer buffer, int at) {
    return buffer.getByte(at) == '\r' ? 4 : 2;
  }

  /**
   * Where the payload of {@code bytes[start, end)} begins when the event is exactly one
   * {@code data: <payload>\n\n} line (the payload then ends at {@code end - 2}), else -1.
   */
  public static int singleDataLine(Buffer bytes, int start, int end) {
    if (end - start < DATA_PREFIX + 2 || bytes.getByte(start) != 'd' || bytes.getByte(start + 1) != 'a'
        || bytes.getByte(start + 2) != 't' || bytes.getByte(start + 3) != 'a' || bytes.getByte(start + 4) != ':'
        || bytes.getByte(start + 5) != ' ') {
      return -1;
    }
    for (int i = start + DATA_PREFIX; i < end - 2; i++) {
      byte b = bytes.getByte(i);
      if (b == '\n' || b == '\r') {
        return -1;
      }
    }
    return start + DATA_PREFIX;
  }

  /** The data of the event {@code bytes[start, end)}: its data lines joined by newlines; null when it has none. */
  public static String data(Buffer bytes, int start, int end) {
    String event = bytes.getString(start, end, StandardCharsets.UTF_8.name());
    StringBuilder data = null;
    int from = 0;
    while (from < event.length()) {
      int newline = event.indexOf('\n', from);
      int lineEnd = newline < 0 ? event.length() : newline;
      int contentEnd = lineEnd > from && event.charAt(lineEnd - 1) == '\r' ? lineEnd - 1 : lineEnd;
      if (event.startsWith("data:", from)) {
        int valueStart = from + 5 < contentEnd && event.charAt(from + 5) == ' ' ? from + 6 : from + 5;
        String value = event.substring(Math.min(valueStart, contentEnd), contentEnd);
        data = data == null ? new StringBuilder(value) : data.append('\n').append(value);
      }
      from = lineEnd + 1;
    }
    return data == null ? null : data.toString();
  }
}
