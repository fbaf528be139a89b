package dev.twinmesh.rag.ingest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.twinmesh.rag.TokenCounter;
import dev.twinmesh.rag.embed.Embedder;
import dev.twinmesh.rag.embed.SharedEmbedder;
import java.util.List;
import org.junit.jupiter.api.Test;

class ChunkerTest {
  private final Embedder embedder = SharedEmbedder.get();
  private final TokenCounter tokens = embedder.tokenCounter();

  @Test
  void aShortTextIsOneChunk() {
    assertEquals(List.of("Just one sentence."), new Chunker(embedder, 512, 50).chunk("Just one sentence."));
  }

  @Test
  void chunksRespectTheSizeInModelTokensAndOverlap() {
    String text = "Unbelievably interchangeable superconductivity measurements. ".repeat(40);
    List<String> chunks = new Chunker(embedder, 64, 16).chunk(text);
    assertTrue(chunks.size() > 3, "chunks " + chunks.size());
    for (String chunk : chunks) {
      assertTrue(tokens.count(chunk) <= 64, tokens.count(chunk) + " tokens: " + chunk);
    }
    for (int i = 1; i < chunks.size(); i++) {
      String previousEnd = chunks.get(i - 1).substring(chunks.get(i - 1).length() - 20);
      assertTrue(chunks.get(i).contains(previousEnd.substring(previousEnd.indexOf(' ') + 1)),
          "chunk " + i + " overlaps the previous one");
    }
  }

  @Test
  void chunksEndBetweenWordsNotInsideThem() {
    String text = "Unbelievably interchangeable superconductivity measurements. ".repeat(40);
    for (String chunk : new Chunker(embedder, 50, 5).chunk(text)) {
      assertTrue(text.contains(chunk));
      String last = chunk.substring(chunk.lastIndexOf(' ') + 1);
      assertTrue(List.of("Unbelievably", "interchangeable", "superconductivity", "measurements", "measurements.").contains(last),
          "ends with a whole word: " + last);
    }
  }

  @Test
  void anOverlapAsLargeAsTheSizeIsRefused() {
    assertThrows(IllegalArgumentException.class, () -> new Chunker(embedder, 50, 50));
  }
}
