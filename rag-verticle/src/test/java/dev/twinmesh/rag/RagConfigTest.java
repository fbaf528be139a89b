package dev.twinmesh.rag;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.twinmesh.rag.embed.BgeSmallModel;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;

class RagConfigTest {
  private final Path data = Path.of("/tmp/twin-data");

  @Test
  void theDefaultsAreTheOriginalSystemsSettings() {
    RagConfig c = RagConfig.fromEnv(Map.of(), data);
    assertEquals(RagConfig.StoreType.EMBEDDED, c.store());
    assertEquals(data, c.dataDir());
    assertEquals(5, c.topK());
    assertEquals(5, c.keepTopK());
    assertEquals(5, c.expandN());
    assertEquals(512, c.chunkSize());
    assertEquals(50, c.chunkOverlap());
    assertEquals(1536, c.maxInputTokens());
    assertFalse(c.expansionEnabled(), "no endpoint, no expansion");
    assertEquals(BgeSmallModel.INT8, c.embeddingModel());
    assertEquals(c, RagConfig.embedded(data));
  }

  @Test
  void environmentVariablesOverrideTheDefaults() {
    RagConfig c = RagConfig.fromEnv(Map.of("RAG_STORE", "qdrant", "QDRANT_URL", "http://qdrant:6334", "TOP_K", "8",
        "EXPAND_N_QUERY", "3", "EXPANSION_URL", "http://worker:8000/v1", "MAX_INPUT_TOKENS", "1024"), null);
    assertEquals(RagConfig.StoreType.QDRANT, c.store());
    assertEquals(8, c.topK());
    assertTrue(c.expansionEnabled());
    assertEquals("twin", c.expansionModel());
    assertEquals(1024, c.maxInputTokens());
    assertEquals(BgeSmallModel.FP32,
        RagConfig.fromEnv(Map.of("RAG_EMBEDDING_MODEL", "fp32"), data).embeddingModel());
  }

  @Test
  void expansionIsOffForOneQuery() {
    assertFalse(RagConfig.embedded(data).withExpansion("http://w:8000/v1", "m", 1, null).expansionEnabled());
  }

  @Test
  void badSettingsAreRefusedWithTheirName() {
    assertMessage("QDRANT_URL", () -> RagConfig.fromEnv(Map.of("RAG_STORE", "qdrant"), data));
    assertMessage("RAG_STORE", () -> RagConfig.fromEnv(Map.of("RAG_STORE", "mongo"), data));
    assertMessage("TOP_K", () -> RagConfig.fromEnv(Map.of("TOP_K", "0"), data));
    assertMessage("TOP_K", () -> RagConfig.fromEnv(Map.of("TOP_K", "five"), data));
    assertMessage("RAG_EMBEDDING_MODEL", () -> RagConfig.fromEnv(Map.of("RAG_EMBEDDING_MODEL", "fp16"), data));
    assertMessage("overlap", () -> RagConfig.embedded(data).withChunking(100, 100));
    assertMessage("data directory", () -> RagConfig.embedded(null));
    assertMessage("expansion URL", () -> RagConfig.embedded(data).withExpansion("worker:8000", null, 5, null));
  }

  private static void assertMessage(String part, Runnable r) {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, r::run);
    assertTrue(e.getMessage().contains(part), e.getMessage());
  }
}
