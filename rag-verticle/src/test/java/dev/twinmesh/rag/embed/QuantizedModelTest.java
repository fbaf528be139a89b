package dev.twinmesh.rag.embed;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.twinmesh.rag.corpus.IngestedCorpus;
import dev.twinmesh.rag.corpus.TestCorpus;
import dev.twinmesh.rag.ingest.DocumentType;
import dev.twinmesh.rag.store.ScoredPoint;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The int8 export, the default, must embed like the fp32 original: same space, nearly the same vectors. */
class QuantizedModelTest {
  private final Embedder int8 = SharedEmbedder.get();
  private final Embedder fp32 = SharedEmbedder.fp32();

  @Test
  void theDefaultIsTheInt8Export() {
    assertEquals("bge-small-en-v1.5 (int8)", int8.modelName());
    assertEquals("bge-small-en-v1.5 (fp32)", fp32.modelName());
    assertEquals(fp32.dimension(), int8.dimension());
  }

  @Test
  void int8VectorsLieCloseToFp32VectorsOfTheSameText() {
    List<String> texts = new ArrayList<>(); // the labelled questions
    TestCorpus.QUESTIONS.forEach(q -> texts.add(q.text()));
    // and every chunk of the test corpus, as the ingestor cut them
    IngestedCorpus corpus = IngestedCorpus.get();
    for (DocumentType type : DocumentType.values()) {
      for (ScoredPoint p : corpus.store().search(type.collection(), int8.embed("anything"), null, 1_000)) {
        texts.add(p.payload().content());
      }
    }
    List<float[]> a = fp32.embed(texts);
    List<float[]> b = int8.embed(texts);
    double sum = 0;
    double min = 1;
    for (int i = 0; i < texts.size(); i++) {
      double cos = BgeSmallEmbedderTest.dot(a.get(i), b.get(i));
      sum += cos;
      min = Math.min(min, cos);
    }
    System.out.printf("cosine(fp32, int8) over %d texts: mean %.4f, min %.4f%n", texts.size(), sum / texts.size(), min);
    // measured here: mean 0.9967, min 0.9948 over the 30 questions and 22 chunks
    assertTrue(sum / texts.size() >= 0.99, "mean cosine " + sum / texts.size());
    assertTrue(min >= 0.98, "min cosine " + min);
  }
}
