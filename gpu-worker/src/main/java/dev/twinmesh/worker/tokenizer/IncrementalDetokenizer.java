package dev.twinmesh.worker.tokenizer;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * Turns generated token ids into text as they arrive, for streaming. A token may end in the middle
 * of a UTF-8 character (byte-level BPE and byte fallback both split emoji and CJK across tokens), so
 * the bytes of an unfinished character are held back until the token that completes it; nothing is
 * ever emitted as a half character. Not thread-safe: one per sequence.
 */
public final class IncrementalDetokenizer {
  private final TokenDecoder decoder;
  private final boolean skipSpecial;
  private byte[] pending = new byte[16];
  private int pendingLength;
  private boolean atStart = true;

  public IncrementalDetokenizer(TokenDecoder decoder, boolean skipSpecial) {
    this.decoder = decoder;
    this.skipSpecial = skipSpecial;
  }

  /** Adds one token and returns the text it completes, possibly empty. */
  public String push(int id) {
    byte[] bytes = decoder.bytes(id, skipSpecial);
    int from = 0;
    if (atStart && bytes.length > 0) {
      atStart = false;
      if (decoder.stripsLeadingSpace() && bytes[0] == ' ') {
        from = 1;
      }
    }
    append(bytes, from);
    int complete = completePrefix(pending, pendingLength);
    String text = new String(pending, 0, complete, StandardCharsets.UTF_8);
    System.arraycopy(pending, complete, pending, 0, pendingLength - complete);
    pendingLength -= complete;
    return text;
  }

  /** The text of whatever is still held back (invalid UTF-8 then shows as U+FFFD); call when the sequence ends. */
  public String flush() {
    String text = new String(pending, 0, pendingLength, StandardCharsets.UTF_8);
    pendingLength = 0;
    return text;
  }

  private void append(byte[] bytes, int from) {
    int n = bytes.length - from;
    if (pendingLength + n > pending.length) {
      pending = Arrays.copyOf(pending, Math.max(pending.length * 2, pendingLength + n));
    }
    System.arraycopy(bytes, from, pending, pendingLength, n);
    pendingLength += n;
  }

  /**
   * How many leading bytes can be decoded now: all of them, unless they end in the lead byte of a
   * multi-byte character followed by fewer continuation bytes than it announces. Bytes that can never
   * form a character are not held back: waiting would not make them valid.
   */
  static int completePrefix(byte[] bytes, int length) {
    int lead = length - 1;
    while (lead >= 0 && length - lead < 4 && (bytes[lead] & 0xC0) == 0x80) {
      lead--;
    }
    if (lead < 0) {
      return length;
    }
    int needed = sequenceLength(bytes[lead] & 0xff);
    return needed > length - lead ? lead : length;
  }

  /** Bytes in a UTF-8 sequence that starts with this byte; 1 for ASCII and for bytes that cannot start one. */
  private static int sequenceLength(int b) {
    if (b >= 0xC2 && b <= 0xDF) {
      return 2;
    }
    if (b >= 0xE0 && b <= 0xEF) {
      return 3;
    }
    if (b >= 0xF0 && b <= 0xF4) {
      return 4;
    }
    return 1;
  }
}
