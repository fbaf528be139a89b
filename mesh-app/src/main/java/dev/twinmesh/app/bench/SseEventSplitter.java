package dev.twinmesh.app.bench;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.function.Consumer;

/**
 * The benchmark's own Server-Sent Events parser, independent of the mesh's: bytes in as they arrive
 * (cut anywhere, even inside a UTF-8 character), the data of each complete event out. Comment lines
 * (keep-alives) and other fields are skipped; several data lines are joined with newlines.
 */
final class SseEventSplitter {
  private final Consumer<String> onData;
  private final Runnable onComment;
  private final ByteArrayOutputStream line = new ByteArrayOutputStream();
  private StringBuilder data;

  SseEventSplitter(Consumer<String> onData) {
    this(onData, () -> {});
  }

  /** @param onComment hears each comment line (a server's keep-alive) */
  SseEventSplitter(Consumer<String> onData, Runnable onComment) {
    this.onData = onData;
    this.onComment = onComment;
  }

  void feed(ByteBuffer bytes) {
    while (bytes.hasRemaining()) {
      byte b = bytes.get();
      if (b == '\n') {
        endLine();
      } else {
        line.write(b);
      }
    }
  }

  private void endLine() {
    byte[] raw = line.toByteArray();
    line.reset();
    int length = raw.length > 0 && raw[raw.length - 1] == '\r' ? raw.length - 1 : raw.length;
    if (length == 0) {
      dispatch();
      return;
    }
    String text = new String(raw, 0, length, StandardCharsets.UTF_8);
    if (text.startsWith(":")) {
      onComment.run();
    } else if (text.startsWith("data:")) {
      String value = text.startsWith("data: ") ? text.substring(6) : text.substring(5);
      data = data == null ? new StringBuilder(value) : data.append('\n').append(value);
    }
  }

  private void dispatch() {
    if (data != null) {
      String event = data.toString();
      data = null;
      onData.accept(event);
    }
  }
}
