package dev.twinmesh.app;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * HTTP/1.1 over a plain socket, for tests that need the exact bytes of a stream as they arrive, or
 * that must drop the connection in the middle of one. Reads the status line and headers, then
 * de-chunks the body into the SSE text the server wrote.
 */
final class RawSse implements AutoCloseable {
  private final Socket socket;
  private final InputStream in;
  int status;
  final Map<String, String> headers = new LinkedHashMap<>();
  private boolean chunked;
  private int chunkLeft;
  private boolean ended;
  private final StringBuilder pending = new StringBuilder();
  private final ByteArrayOutputStream undecoded = new ByteArrayOutputStream();
  /** Every body byte received so far, decoded as UTF-8. */
  final StringBuilder body = new StringBuilder();

  private RawSse(Socket socket) throws IOException {
    this.socket = socket;
    this.in = socket.getInputStream();
  }

  /** Reads the status line and the headers. */
  private RawSse readHead() throws IOException {
    String statusLine = readLine();
    this.status = Integer.parseInt(statusLine.split(" ")[1]);
    String line;
    while (!(line = readLine()).isEmpty()) {
      int colon = line.indexOf(':');
      headers.put(line.substring(0, colon).trim().toLowerCase(Locale.ROOT), line.substring(colon + 1).trim());
    }
    this.chunked = "chunked".equalsIgnoreCase(headers.get("transfer-encoding"));
    return this;
  }

  /** Sends one POST with a JSON body and reads the response head. */
  static RawSse post(String url, String json, String... extraHeaders) throws IOException {
    return postWithoutReading(url, json, extraHeaders).readHead();
  }

  /** Sends one POST and reads nothing: for a client that waits for a whole body and then gives up. */
  static RawSse postWithoutReading(String url, String json, String... extraHeaders) throws IOException {
    URI uri = URI.create(url);
    Socket socket = new Socket(uri.getHost(), uri.getPort());
    socket.setSoTimeout(60_000);
    byte[] body = json.getBytes(StandardCharsets.UTF_8);
    StringBuilder head = new StringBuilder("POST " + uri.getPath() + " HTTP/1.1\r\n")
        .append("Host: ").append(uri.getHost()).append(':').append(uri.getPort()).append("\r\n")
        .append("Content-Type: application/json\r\n")
        .append("Content-Length: ").append(body.length).append("\r\n");
    for (String h : extraHeaders) {
      head.append(h).append("\r\n");
    }
    head.append("\r\n");
    OutputStream out = socket.getOutputStream();
    out.write(head.toString().getBytes(StandardCharsets.US_ASCII));
    out.write(body);
    out.flush();
    return new RawSse(socket);
  }

  /** The next complete SSE event (without its blank line), or null at the end of the body. */
  String nextEvent() throws IOException {
    for (;;) {
      int end = pending.indexOf("\n\n");
      if (end >= 0) {
        String event = pending.substring(0, end);
        pending.delete(0, end + 2);
        return event;
      }
      if (!readSome()) {
        return null;
      }
    }
  }

  /** Reads the whole remaining body; returns all body text since the head. */
  String readAll() throws IOException {
    while (readSome()) {
      // keep reading
    }
    return body.toString();
  }

  /** Every event until the body ends. */
  List<String> allEvents() throws IOException {
    List<String> events = new ArrayList<>();
    String event;
    while ((event = nextEvent()) != null) {
      events.add(event);
    }
    return events;
  }

  private boolean readSome() throws IOException {
    if (ended) {
      return false;
    }
    byte[] bytes;
    if (chunked) {
      if (chunkLeft == 0) {
        String size = readLine();
        if (size.isEmpty()) {
          size = readLine();
        }
        chunkLeft = Integer.parseInt(size.trim(), 16);
        if (chunkLeft == 0) {
          readLine();
          ended = true;
          return false;
        }
      }
      bytes = in.readNBytes(Math.min(chunkLeft, 8192));
      if (bytes.length == 0) {
        ended = true;
        return false;
      }
      chunkLeft -= bytes.length;
    } else {
      byte[] buffer = new byte[8192];
      int n = in.read(buffer);
      if (n < 0) {
        ended = true;
        return false;
      }
      bytes = java.util.Arrays.copyOf(buffer, n);
    }
    undecoded.write(bytes);
    String text = decodeComplete();
    body.append(text);
    pending.append(text);
    return true;
  }

  /** Decodes the buffered bytes up to the last complete UTF-8 character. */
  private String decodeComplete() {
    byte[] all = undecoded.toByteArray();
    int cut = all.length;
    int back = 0;
    while (back < 3 && cut - back - 1 >= 0 && (all[cut - back - 1] & 0xC0) == 0x80) {
      back++;
    }
    if (cut - back - 1 >= 0 && (all[cut - back - 1] & 0x80) != 0) {
      int lead = all[cut - back - 1] & 0xFF;
      int need = lead >= 0xF0 ? 3 : lead >= 0xE0 ? 2 : 1;
      if (back < need) {
        cut = cut - back - 1;
      }
    }
    undecoded.reset();
    undecoded.write(all, cut, all.length - cut);
    return new String(all, 0, cut, StandardCharsets.UTF_8);
  }

  private String readLine() throws IOException {
    ByteArrayOutputStream line = new ByteArrayOutputStream();
    int b;
    while ((b = in.read()) != -1) {
      if (b == '\n') {
        break;
      }
      line.write(b);
    }
    String s = line.toString(StandardCharsets.US_ASCII);
    return s.endsWith("\r") ? s.substring(0, s.length() - 1) : s;
  }

  /** Drops the connection at once, as a closed browser tab does. */
  @Override
  public void close() throws IOException {
    socket.close();
  }
}
