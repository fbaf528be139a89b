package dev.twinmesh.worker.sampling;

import dev.twinmesh.common.SamplingParams;
import dev.twinmesh.worker.sampling.Sample.TokenLogprob;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * Picks the next token from one sequence's logits.
 *
 * <p>Order: repetition penalty (Hugging Face: positive logits divided, negative multiplied, over
 * prompt and generated tokens), frequency and presence penalties (OpenAI: over generated tokens),
 * then greedy argmax when temperature is 0, else temperature, top_k, top_p, min_p and a draw from
 * the cumulative distribution of what is left.
 *
 * <p>Logprobs are the log-softmax of the logits after penalties and temperature (temperature 1
 * when greedy) and before the truncating filters, so every candidate has a finite value.
 *
 * <p>Holds scratch arrays: one instance per engine thread.
 */
public final class Sampler {

  /** Candidate pools for top_p start from tokens this likely relative to the best one, widening as needed. */
  private static final double NUCLEUS_FIRST_CUTOFF = 1e-3;
  /**
   * Scores this far below the best have weight exp(-87) < 1e-37: zero within the double sum of any
   * vocabulary, so their exp is skipped. At low temperature that is nearly the whole vocabulary.
   */
  private static final double NEGLIGIBLE_SCORE_GAP = 87;

  private double[] scores = new double[0]; // [vocab] processed logits
  private double[] weights = new double[0]; // [vocab] exp(score - max): probabilities up to a constant

  /** Chooses a token, records it in {@code state}, and returns it with its logprobs. */
  public Sample sample(float[] logits, SamplingState state) {
    SamplingParams params = state.params();
    int vocab = logits.length;
    ensureCapacity(vocab);
    for (int i = 0; i < vocab; i++) {
      if (Float.isNaN(logits[i])) {
        throw new IllegalStateException("logit of token " + i + " is NaN");
      }
      scores[i] = logits[i];
    }
    applyPenalties(state);
    if (!params.isGreedy() && params.temperature() != 1) {
      for (int i = 0; i < vocab; i++) {
        scores[i] /= params.temperature();
      }
    }
    double max = Double.NEGATIVE_INFINITY;
    for (int i = 0; i < vocab; i++) {
      max = Math.max(max, scores[i]);
    }
    if (!Double.isFinite(max)) {
      throw new IllegalStateException("no finite best logit (max is " + max + ")");
    }
    double total = 0;
    for (int i = 0; i < vocab; i++) {
      double gap = scores[i] - max;
      weights[i] = gap < -NEGLIGIBLE_SCORE_GAP ? 0 : Math.exp(gap);
      total += weights[i];
    }
    double logNormalizer = max + Math.log(total);

    int chosen = params.isGreedy() ? argMax(vocab) : draw(vocab, total, params, state.random());
    List<TokenLogprob> top = params.logprobs() && params.topLogprobs() > 0
        ? topLogprobs(vocab, params.topLogprobs(), logNormalizer) : List.of();
    state.accept(chosen);
    return new Sample(chosen, scores[chosen] - logNormalizer, top);
  }

  private void ensureCapacity(int vocab) {
    if (scores.length != vocab) {
      scores = new double[vocab];
      weights = new double[vocab];
    }
  }

  private void applyPenalties(SamplingState state) {
    SamplingParams params = state.params();
    double repetition = params.repetitionPenalty();
    if (repetition != 1 && repetition > 0) {
      for (int id : state.seenTokens()) {
        if (id >= 0 && id < scores.length) {
          scores[id] = scores[id] > 0 ? scores[id] / repetition : scores[id] * repetition;
        }
      }
    }
    double frequency = params.frequencyPenalty();
    double presence = params.presencePenalty();
    if (frequency != 0 || presence != 0) {
      for (Map.Entry<Integer, Integer> e : state.generatedCounts().entrySet()) {
        int id = e.getKey();
        if (id >= 0 && id < scores.length) {
          scores[id] -= frequency * e.getValue() + presence;
        }
      }
    }
  }

  /** Highest score, the lowest id among ties. */
  private int argMax(int vocab) {
    int best = 0;
    for (int i = 1; i < vocab; i++) {
      if (scores[i] > scores[best]) {
        best = i;
      }
    }
    return best;
  }

  private int draw(int vocab, double total, SamplingParams params, SplittableRandom random) {
    int[] candidates;
    double mass;
    if (params.topK() > 0 && params.topK() < vocab) {
      candidates = largest(params.topK(), vocab);
      mass = 0;
      for (int id : candidates) {
        mass += weights[id];
      }
    } else if (params.topP() < 1) {
      candidates = nucleusPool(vocab, total, params.topP());
      mass = total;
    } else {
      candidates = allTokens(vocab);
      mass = total;
    }
    int count = candidates.length;
    if (params.topP() < 1) {
      count = nucleusSize(candidates, params.topP() * mass);
    }
    if (params.minP() > 0) {
      count = keepAboveMinP(candidates, count, params.minP());
    }
    return drawFrom(candidates, count, random);
  }

  /** How many of the best-first candidates it takes to reach {@code target} mass: at least one. */
  private int nucleusSize(int[] sortedCandidates, double target) {
    double cumulative = 0;
    for (int n = 0; n < sortedCandidates.length; n++) {
      cumulative += weights[sortedCandidates[n]];
      if (cumulative >= target) {
        return n + 1;
      }
    }
    return sortedCandidates.length;
  }

  /**
   * Every token that can be in the nucleus, sorted best first. The tokens above a weight cutoff
   * are a prefix of the sorted vocabulary, so once they hold top_p of the mass the nucleus lies
   * inside them; this spares sorting the whole vocabulary.
   */
  private int[] nucleusPool(int vocab, double total, double topP) {
    double cutoff = NUCLEUS_FIRST_CUTOFF;
    while (cutoff > 0) {
      double mass = 0;
      int count = 0;
      for (int i = 0; i < vocab; i++) {
        if (weights[i] >= cutoff) {
          mass += weights[i];
          count++;
        }
      }
      if (mass >= topP * total) {
        int[] pool = new int[count];
        int n = 0;
        for (int i = 0; i < vocab; i++) {
          if (weights[i] >= cutoff) {
            pool[n++] = i;
          }
        }
        sortByWeight(pool);
        return pool;
      }
      cutoff = cutoff > 1e-300 ? cutoff * NUCLEUS_FIRST_CUTOFF : 0;
    }
    int[] all = allTokens(vocab);
    sortByWeight(all);
    return all;
  }

  /** min_p keeps tokens at least min_p times as likely as the most likely one (weight 1). */
  private int keepAboveMinP(int[] candidates, int count, double minP) {
    int kept = 0;
    for (int n = 0; n < count; n++) {
      if (weights[candidates[n]] >= minP) {
        candidates[kept++] = candidates[n];
      }
    }
    return kept;
  }

  private int drawFrom(int[] candidates, int count, SplittableRandom random) {
    double mass = 0;
    for (int n = 0; n < count; n++) {
      mass += weights[candidates[n]];
    }
    double target = random.nextDouble() * mass;
    double cumulative = 0;
    for (int n = 0; n < count; n++) {
      cumulative += weights[candidates[n]];
      if (target < cumulative) {
        return candidates[n];
      }
    }
    // Rounding can leave the target just past the last cumulative sum.
    return candidates[count - 1];
  }

  private List<TokenLogprob> topLogprobs(int vocab, int n, double logNormalizer) {
    List<TokenLogprob> top = new ArrayList<>();
    for (int id : largest(Math.min(n, vocab), vocab)) {
      top.add(new TokenLogprob(id, scores[id] - logNormalizer));
    }
    return top;
  }

  /** The n highest-scoring ids, best first, lower id first among ties. */
  private int[] largest(int n, int vocab) {
    int[] best = new int[n];
    int size = 0;
    for (int id = 0; id < vocab; id++) {
      double score = scores[id];
      if (size == n && score <= scores[best[n - 1]]) {
        continue;
      }
      // Insert after every kept id with a score >= this one: earlier ids win ties.
      int lo = 0;
      int hi = size;
      while (lo < hi) {
        int mid = (lo + hi) >>> 1;
        if (scores[best[mid]] >= score) {
          lo = mid + 1;
        } else {
          hi = mid;
        }
      }
      int moved = Math.min(size, n - 1) - lo;
      System.arraycopy(best, lo, best, lo + 1, moved);
      best[lo] = id;
      size = Math.min(size + 1, n);
    }
    return best;
  }

  /** Best first; a stable merge sort, so ids that arrive in ascending order keep it among ties. */
  private void sortByWeight(int[] ids) {
    mergeSort(ids, new int[ids.length], 0, ids.length);
  }

  private void mergeSort(int[] ids, int[] buffer, int from, int to) {
    if (to - from < 2) {
      return;
    }
    int mid = (from + to) >>> 1;
    mergeSort(ids, buffer, from, mid);
    mergeSort(ids, buffer, mid, to);
    if (weights[ids[mid - 1]] >= weights[ids[mid]]) {
      return;
    }
    System.arraycopy(ids, from, buffer, from, to - from);
    int left = from;
    int right = mid;
    for (int out = from; out < to; out++) {
      if (right >= to || (left < mid && weights[buffer[left]] >= weights[buffer[right]])) {
        ids[out] = buffer[left++];
      } else {
        ids[out] = buffer[right++];
      }
    }
  }

  private static int[] allTokens(int vocab) {
    int[] all = new int[vocab];
    for (int i = 0; i < vocab; i++) {
      all[i] = i;
    }
    return all;
  }
}
