package dev.twinmesh.worker.tokenizer;

import java.util.HashMap;
import java.util.Map;

/**
 * GPT-2's reversible byte-to-character mapping used by byte-level BPE: printable Latin-1 bytes stand
 * for themselves, the rest (control bytes, space, ...) move to U+0100 onwards, so every token is
 * printable text and a space shows as 'Ġ'.
 */
public final class ByteLevelAlphabet {
  private static final char[] CHAR_OF_BYTE = new char[256];
  private static final Map<Character, Integer> BYTE_OF_CHAR = new HashMap<>();
  /** The 256 bytes in vocabulary order: the self-mapped printable ones first, as GPT-2 numbers them. */
  private static final int[] BYTES_IN_ORDER = new int[256];

  static {
    boolean[] printable = new boolean[256];
    int k = 0;
    for (int b = 0; b < 256; b++) {
      printable[b] = (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF);
      if (printable[b]) {
        CHAR_OF_BYTE[b] = (char) b;
        BYTES_IN_ORDER[k++] = b;
      }
    }
    int shifted = 0;
    for (int b = 0; b < 256; b++) {
      if (!printable[b]) {
        CHAR_OF_BYTE[b] = (char) (256 + shifted++);
        BYTES_IN_ORDER[k++] = b;
      }
    }
    for (int b = 0; b < 256; b++) {
      BYTE_OF_CHAR.put(CHAR_OF_BYTE[b], b);
    }
  }

  private ByteLevelAlphabet() {}

  public static char charOf(int unsignedByte) {
    return CHAR_OF_BYTE[unsignedByte];
  }

  /** The byte a character stands for, or -1 when the character is not in the alphabet. */
  public static int byteOf(char c) {
    Integer b = BYTE_OF_CHAR.get(c);
    return b == null ? -1 : b;
  }

  /** The byte whose base token gets vocabulary id {@code id} (0..255). */
  public static int byteAtId(int id) {
    return BYTES_IN_ORDER[id];
  }

  public static String encode(byte[] bytes) {
    StringBuilder sb = new StringBuilder(bytes.length);
    for (byte b : bytes) {
      sb.append(CHAR_OF_BYTE[b & 0xff]);
    }
    return sb.toString();
  }
}
