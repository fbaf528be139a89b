package dev.twinmesh.rag.embed;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

class BgeSmallEmbedderTest {
  private final Embedder embedder = SharedEmbedder.get();

  @Test
  void vectorsHave384UnitLengthDimensions() {
    List<float[]> vectors = embedder.embed(List.of("a short text", "another, somewhat longer text about vectors"));
    assertEquals(2, vectors.size());
    for (float[] v : vectors) {
      assertEquals(384, v.length);
      assertEquals(1.0, dot(v, v), 1e-4);
    }
  }

  @Test
  void relatedTextsAreCloserThanUnrelatedOnes() {
    List<float[]> v = embedder.embed(List.of(
        "How do I tune the garbage collector of the JVM?",
        "Tuning G1 pause times in Java applications",
        "My favourite sourdough bread recipe with rye flour"));
    assertTrue(dot(v.get(0), v.get(1)) > dot(v.get(0), v.get(2)) + 0.1,
        "related " + dot(v.get(0), v.get(1)) + " unrelated " + dot(v.get(0), v.get(2)));
  }

  /**
   * The int8 export quantizes each activation tensor with one scale for the whole batch, so a neighbour (and its
   * padding) moves a vector by quantization noise, never more; fp32 masks padding exactly.
   */
  @Test
  void batchingChangesTheVectorsByQuantizationNoiseAtMost() {
    String text = "Continuous batching keeps the GPU busy.";
    List<String> batch = List.of("a much longer neighbour text that forces padding in the batch, "
        + "and then some more words to make it longer still", text);
    assertEquals(1.0, dot(embedder.embed(text), embedder.embed(batch).get(1)), 0.005);
    assertEquals(1.0, dot(SharedEmbedder.fp32().embed(text), SharedEmbedder.fp32().embed(batch).get(1)), 1e-4);
  }

  @Test
  void tokenSpansPointIntoTheTextWithoutSpecialTokens() {
    String text = "Tokenization splits unbelievably long words.";
    List<TokenSpan> spans = embedder.tokenSpans(text);
    assertTrue(spans.size() >= 6, spans.toString());
    assertEquals(0, spans.get(0).start());
    assertEquals(text.length(), spans.get(spans.size() - 1).end());
    assertEquals(spans.size(), embedder.tokenCounter().count(text));
  }

  @Test
  void textsLongerThanTheModelLimitAreEmbeddedNotRefused() {
    String longText = "word ".repeat(2000);
    assertTrue(embedder.tokenCounter().count(longText) > 512);
    assertEquals(384, embedder.embed(longText).length);
  }

  static double dot(float[] a, float[] b) {
    double s = 0;
    for (int i = 0; i < a.length; i++) {
      s += a[i] * b[i];
    }
    return s;
  }
}
