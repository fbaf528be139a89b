package dev.twinmesh.common;

import io.vertx.core.buffer.Buffer;
import java.nio.charset.StandardCharsets;
import java.util.function.Consumer;

/**
 * Splits a Server-Sent Events byte stream into the data payloads of its events. Bytes may arrive cut
 * anywhere, even inside a UTF-8 character, so text is decoded only once an event is complete.
 * Comment lines (keep-alives) are skipped; multi-line data is joined with newlines as the spec says.
 */
public final class SseEventParser {
  private final Consumer<String> onData;
  private Buffer pending = Buffer.buffer();

  public SseEventParser(Consumer<String> onData) {
    this.onData = onData;
  }

  public void feed(Buffer bytes) {
    pending.appendBuffer(bytes);
    int start = 0;
    int end;
    while ((end = eventEnd(pending, start)) >= 0) {
      dispatch(pending.getString(start, end, StandardCharsets.UTF_8.name()));
      start = end + separatorLength(pending, end);
    }
    if (start > 0) {
      pending = pending.getBuffer(start, pending.length());
    }
  }

  /** Index where the first complete event from {@code from} ends (a blank line follows), or -1. */
  private static int eventEnd(Buffer buffer, int from) {
    for (int i = from; i + 1 < buffer.length(); i++) {
      byte a = buffer.getByte(i);
      byte b = buffer.getByte(i + 1);
      if (a == '\n' && b == '\n') {
        return i;
      }
      if (a == '\r' && b == '\n' && i + 3 < buffer.length() && buffer.getByte(i + 2) == '\r' && buffer.getByte(i + 3) == '\n') {
        return i;
      }
    }
    return -1;
  }

  private static int separatorLength(Buffer buffer, int at) {
    return buffer.getByte(at) == '\r' ? 4 : 2;
  }

  private void dispatch(String event) {
    StringBuilder data = null;
    for (String line : event.split("\r?\n", -1)) {
      if (line.startsWith("data:")) {
        String value = line.substring(5);
        value = value.startsWith(" ") ? value.substring(1) : value;
        data = data == null ? new StringBuilder(value) : data.append('\n').append(value);
      }
    }
    if (data != null) {
      onData.accept(data.toString());
    }
  }
}
