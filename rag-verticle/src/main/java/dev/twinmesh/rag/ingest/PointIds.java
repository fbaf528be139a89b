package dev.twinmesh.rag.ingest;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.UUID;

/** Ids from content: the same author's same chunk always gets the same point id, so re-ingesting changes nothing. */
public final class PointIds {
  private PointIds() {}

  public static String sha256Hex(String text) {
    return HexFormat.of().formatHex(sha256(text));
  }

  /** A version-5-style UUID from the SHA-256 of the author id and the chunk text. */
  public static String pointId(String authorId, String content) {
    byte[] hash = sha256(authorId + '\u0000' + content);
    hash[6] = (byte) ((hash[6] & 0x0f) | 0x50);
    hash[8] = (byte) ((hash[8] & 0x3f) | 0x80);
    long msb = 0;
    long lsb = 0;
    for (int i = 0; i < 8; i++) {
      msb = (msb << 8) | (hash[i] & 0xff);
      lsb = (lsb << 8) | (hash[i + 8] & 0xff);
    }
    return new UUID(msb, lsb).toString();
  }

  private static byte[] sha256(String text) {
    try {
      return MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("every JVM has SHA-256", e);
    }
  }
}
