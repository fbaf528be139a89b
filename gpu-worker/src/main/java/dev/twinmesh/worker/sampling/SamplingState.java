package dev.twinmesh.worker.sampling;

import dev.twinmesh.common.SamplingParams;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;

/**
 * What the sampler remembers about one request: its parameters, its random stream (seeded from
 * {@code seed} so the same seed replays the same text), the tokens it has seen and how often it
 * generated each.
 */
public final class SamplingState {

  private final SamplingParams params;
  private final SplittableRandom random;
  private final Set<Integer> seen = new HashSet<>();            // prompt and generated, for repetition_penalty
  private final Map<Integer, Integer> generated = new HashMap<>(); // generated only, for frequency/presence
  private int generatedCount;

  public SamplingState(SamplingParams params, int[] promptTokenIds) {
    this.params = params;
    this.random = params.seed() == null ? new SplittableRandom() : new SplittableRandom(params.seed());
    for (int id : promptTokenIds) {
      seen.add(id);
    }
  }

  /** Records a token the request produced (the sampler calls this for the token it picks). */
  public void accept(int tokenId) {
    seen.add(tokenId);
    generated.merge(tokenId, 1, Integer::sum);
    generatedCount++;
  }

  public SamplingParams params() {
    return params;
  }

  SplittableRandom random() {
    return random;
  }

  /** Prompt and generated token ids, each once. */
  public Set<Integer> seenTokens() {
    return Collections.unmodifiableSet(seen);
  }

  /** Generated token id to the number of times it was generated. */
  public Map<Integer, Integer> generatedCounts() {
    return Collections.unmodifiableMap(generated);
  }

  public int generatedCount() {
    return generatedCount;
  }
}
