package dev.twinmesh.gateway;

import dev.twinmesh.common.OpenAiRequest;
import io.vertx.core.buffer.Buffer;
import java.nio.charset.StandardCharsets;

/**
 * Reads what the trace needs (text delta, finish reason) from a twin-mesh worker's token chunk without
 * building a JSON tree, because the gateway forwards that chunk's bytes unchanged and the tree would be
 * its whole cost. Only the plain shape is read here: one choice, no logprobs, no usage, no error; any
 * other chunk is left to a full parse.
 *
 * <p>The keys are found by their quoted names: inside a JSON string every quote is escaped, so
 * {@code "text":"} can only be a key followed by a string value.
 */
final class TokenChunk {
  private static final byte[] CHOICE = ascii("\"choices\":[{");
  private static final byte[] NO_LOGPROBS = ascii("\"logprobs\":null");
  private static final byte[] USAGE = ascii("\"usage\":");
  private static final byte[] CHAT_TEXT = ascii("\"content\":\"");
  private static final byte[] COMPLETION_TEXT = ascii("\"text\":\"");
  private static final byte[] FINISH = ascii("\"finish_reason\":\"");

  /** The delta text of the last chunk read ("" when it had none) and its finish reason, or null. */
  String text;
  String finishReason;
  /**
   * The chunk's bytes, copied once: the scans below read every byte several times, and a buffer's
   * {@code getByte} checks bounds and reference count on each call, which cost more than the copy.
   * Allocated at the first chunk: a stream still queued at the worker holds none.
   */
  private byte[] scratch = new byte[0];

  /** Reads the chunk {@code bytes[from, to)}; false when it is not a plain token chunk (nothing was read). */
  boolean read(Buffer bytes, int from, int to, OpenAiRequest.Kind kind) {
    int length = to - from;
    if (scratch.length < length) {
      scratch = new byte[Math.max(length, 2 * scratch.length) + 64];
    }
    bytes.getBytes(from, to, scratch, 0);
    byte[] b = scratch;
    if (indexOf(b, length, CHOICE) < 0 || indexOf(b, length, NO_LOGPROBS) < 0 || indexOf(b, length, USAGE) >= 0) {
      return false;
    }
    int text = indexOf(b, length, kind == OpenAiRequest.Kind.CHAT ? CHAT_TEXT : COMPLETION_TEXT);
    int finish = indexOf(b, length, FINISH);
    this.text = text < 0 ? "" : string(b, text, length);
    this.finishReason = finish < 0 ? null : string(b, finish, length);
    return this.text != null && (finish < 0 || this.finishReason != null);
  }

  /** Where the value after {@code key} starts (just past the key) in {@code bytes[0, to)}, or -1. */
  private static int indexOf(byte[] bytes, int to, byte[] key) {
    int last = to - key.length;
    byte first = key[0];
    outer:
    for (int i = 0; i <= last; i++) {
      if (bytes[i] != first) {
        continue;
      }
      for (int k = 1; k < key.length; k++) {
        if (bytes[i + k] != key[k]) {
          continue outer;
        }
      }
      return i + key.length;
    }
    return -1;
  }

  /** The JSON string whose characters start at {@code from} (after its opening quote), or null if it never closes. */
  private static String string(byte[] bytes, int from, int to) {
    boolean escaped = false;
    for (int i = from; i < to; i++) {
      byte b = bytes[i];
      if (b == '\\') {
        escaped = true;
        i++; // the escaped character, whatever it is, cannot close the string
      } else if (b == '"') {
        String raw = new String(bytes, from, i - from, StandardCharsets.UTF_8);
        return escaped ? unescape(raw) : raw;
      }
    }
    return null;
  }

  private static String unescape(String raw) {
    StringBuilder out = new StringBuilder(raw.length());
    for (int i = 0; i < raw.length(); i++) {
      char c = raw.charAt(i);
      if (c != '\\') {
        out.append(c);
        continue;
      }
      char e = raw.charAt(++i);
      switch (e) {
        case 'n' -> out.append('\n');
        case 't' -> out.append('\t');
        case 'r' -> out.append('\r');
        case 'b' -> out.append('\b');
        case 'f' -> out.append('\f');
        case 'u' -> {
          out.append((char) Integer.parseInt(raw, i + 1, i + 5, 16));
          i += 4;
        }
        default -> out.append(e); // \" \\ \/
      }
    }
    return out.toString();
  }

  private static byte[] ascii(String text) {
    return text.getBytes(StandardCharsets.US_ASCII);
  }
}
