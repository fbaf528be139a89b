package dev.twinmesh.rag.retrieve;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.twinmesh.rag.store.ScoredPoint;
import java.util.List;
import org.junit.jupiter.api.Test;

class MmrRerankerTest {
  private static ScoredPoint p(String id, float... v) {
    return new ScoredPoint(id, 0, null, v);
  }

  private final float[] question = {1, 0, 0};
  private final List<ScoredPoint> candidates = List.of(
      p("best", 1, 0.1f, 0), p("near-duplicate-of-best", 1, 0.11f, 0), p("different", 0.8f, 0, 0.6f), p("off", 0, 1, 0));

  @Test
  void pureRelevanceRanksBySimilarityToTheQuestion() {
    List<ScoredPoint> kept = new MmrReranker(1.0).rerank(question, candidates, 3);
    assertEquals(List.of("best", "near-duplicate-of-best", "different"), kept.stream().map(ScoredPoint::id).toList());
    assertEquals(0.995, kept.get(0).score(), 1e-3);
  }

  @Test
  void diversityPushesNearDuplicatesDown() {
    List<ScoredPoint> kept = new MmrReranker(0.5).rerank(question, candidates, 2);
    assertEquals(List.of("best", "different"), kept.stream().map(ScoredPoint::id).toList());
  }

  @Test
  void noMoreThanAskedAndNoMoreThanThereAre() {
    assertEquals(4, new MmrReranker(0.7).rerank(question, candidates, 10).size());
    assertEquals(0, new MmrReranker(0.7).rerank(question, List.of(), 5).size());
  }
}
