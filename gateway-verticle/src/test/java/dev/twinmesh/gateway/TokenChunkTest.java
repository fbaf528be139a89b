package dev.twinmesh.gateway;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.twinmesh.common.OpenAiChunks;
import dev.twinmesh.common.OpenAiRequest;
import dev.twinmesh.common.Usage;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;

/** The trace's view of a forwarded chunk is what a full JSON parse of the worker's own chunk would give. */
class TokenChunkTest {
  private static final OpenAiRequest.Kind CHAT = OpenAiRequest.Kind.CHAT;
  private static final OpenAiRequest.Kind COMPLETION = OpenAiRequest.Kind.COMPLETION;

  private static boolean read(TokenChunk reader, JsonObject chunk, OpenAiRequest.Kind kind) {
    // surrounded by other bytes, as a chunk is inside the buffer it arrived in
    Buffer bytes = Buffer.buffer("data: ").appendString(chunk.encode()).appendString("\n\n");
    return reader.read(bytes, 6, bytes.length() - 2, kind);
  }

  @Test
  void textWithEscapesQuotesAndNonAsciiIsReadAsJsonWouldReadIt() {
    TokenChunk reader = new TokenChunk();
    String text = "say \"hi\"\n\t\\ caf\u00e9 \uD83D\uDE00 \u0001 </script> \"text\":\"";
    assertTrue(read(reader, OpenAiChunks.chunk(CHAT, "chatcmpl-1", 1, "twin", null, text, null, null), CHAT));
    assertEquals(text, reader.text);
    assertNull(reader.finishReason);
    assertTrue(read(reader, OpenAiChunks.chunk(COMPLETION, "cmpl-1", 1, "twin", null, text, "length", null), COMPLETION));
    assertEquals(text, reader.text);
    assertEquals("length", reader.finishReason);
  }

  @Test
  void theRoleChunkHasNoText() {
    TokenChunk reader = new TokenChunk();
    assertTrue(read(reader, OpenAiChunks.chunk(CHAT, "chatcmpl-1", 1, "twin", "assistant", "", null, null), CHAT));
    assertEquals("", reader.text);
    assertNull(reader.finishReason);
  }

  @Test
  void usageErrorsAndLogprobsAreLeftToAFullParse() {
    TokenChunk reader = new TokenChunk();
    assertFalse(read(reader, OpenAiChunks.usageChunk(CHAT, "chatcmpl-1", 1, "twin", Usage.of(3, 4)), CHAT));
    assertFalse(read(reader, new JsonObject().put("error", new JsonObject().put("message", "boom")), CHAT));
    JsonObject logprobs = new JsonObject().put("content", new io.vertx.core.json.JsonArray());
    assertFalse(read(reader, OpenAiChunks.chunk(CHAT, "chatcmpl-1", 1, "twin", null, "x", null, logprobs), CHAT));
  }

  @Test
  void aChunkCutShortIsNotRead() {
    TokenChunk reader = new TokenChunk();
    Buffer bytes = Buffer.buffer("{\"choices\":[{\"index\":0,\"logprobs\":null,\"text\":\"abc");
    assertFalse(reader.read(bytes, 0, bytes.length(), COMPLETION));
  }

  @Test
  void aShorterChunkAfterALongerOneIsReadAloneNotWithTheBytesLeftFromBefore() {
    TokenChunk reader = new TokenChunk();
    String longText = "x".repeat(2000);
    assertTrue(read(reader, OpenAiChunks.chunk(COMPLETION, "cmpl-1", 1, "twin", null, longText, "length", null), COMPLETION));
    assertEquals(longText, reader.text);
    assertEquals("length", reader.finishReason);
    assertTrue(read(reader, OpenAiChunks.chunk(COMPLETION, "cmpl-1", 1, "twin", null, "y", null, null), COMPLETION));
    assertEquals("y", reader.text);
    assertNull(reader.finishReason);
  }
}
