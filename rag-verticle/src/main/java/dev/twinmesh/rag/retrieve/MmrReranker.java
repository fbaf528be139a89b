package dev.twinmesh.rag.retrieve;

import dev.twinmesh.rag.store.ScoredPoint;
import java.util.ArrayList;
import java.util.List;

/**
 * Keeps the candidates most similar to the original question, trading some similarity for variety:
 * maximal marginal relevance, each pick maximising {@code lambda * sim(question, c) - (1 - lambda) * max sim(c, picked)}.
 */
public final class MmrReranker {
  private final double lambda;

  public MmrReranker(double lambda) {
    this.lambda = lambda;
  }

  /** Up to {@code keep} candidates in pick order, each scored by its cosine similarity to the question. */
  public List<ScoredPoint> rerank(float[] question, List<ScoredPoint> candidates, int keep) {
    List<ScoredPoint> pool = new ArrayList<>();
    for (ScoredPoint c : candidates) {
      pool.add(new ScoredPoint(c.id(), cosine(question, c.vector()), c.payload(), c.vector()));
    }
    List<ScoredPoint> picked = new ArrayList<>();
    while (picked.size() < keep && !pool.isEmpty()) {
      int best = 0;
      double bestValue = Double.NEGATIVE_INFINITY;
      for (int i = 0; i < pool.size(); i++) {
        double redundancy = 0;
        for (ScoredPoint p : picked) {
          redundancy = Math.max(redundancy, cosine(pool.get(i).vector(), p.vector()));
        }
        double value = lambda * pool.get(i).score() - (1 - lambda) * redundancy;
        if (value > bestValue) {
          bestValue = value;
          best = i;
        }
      }
      picked.add(pool.remove(best));
    }
    return picked;
  }

  static double cosine(float[] a, float[] b) {
    double dot = 0;
    double na = 0;
    double nb = 0;
    for (int i = 0; i < a.length; i++) {
      dot += a[i] * b[i];
      na += a[i] * a[i];
      nb += b[i] * b[i];
    }
    return na == 0 || nb == 0 ? 0 : dot / Math.sqrt(na * nb);
  }
}
