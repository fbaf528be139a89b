package dev.twinmesh.worker.sampling;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.twinmesh.common.SamplingParams;
import dev.twinmesh.worker.sampling.Sample.TokenLogprob;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class SamplerTest {

  private final Sampler sampler = new Sampler();

  @Test
  void greedyPicksTheArgmaxAndTheLowestIdAmongTies() {
    SamplingParams greedy = params(0, 1, 0, 0, 1, 0, 0, null);
    assertEquals(2, sampleOnce(new float[] {0.1f, 3f, 5f, -1f}, greedy).tokenId());
    assertEquals(1, sampleOnce(new float[] {0.1f, 5f, 5f, 5f}, greedy).tokenId());
  }

  @Test
  void theSameSeedGivesTheSameSequence() {
    float[] logits = randomLogits(512, 1);
    SamplingParams seeded = params(1.0, 1, 0, 0, 1, 0, 0, 1234L);
    int[] first = sequence(logits, seeded, 50);
    int[] second = sequence(logits, seeded, 50);
    assertArrayEquals(first, second);
    assertFalse(java.util.Arrays.equals(first, sequence(logits, params(1.0, 1, 0, 0, 1, 0, 0, 99L), 50)));
  }

  @Test
  void topKOfOneIsGreedy() {
    for (long seed = 0; seed < 20; seed++) {
      float[] logits = randomLogits(300, seed);
      int greedy = sampleOnce(logits, params(0, 1, 0, 0, 1, 0, 0, null)).tokenId();
      assertEquals(greedy, sampleOnce(logits, params(1.5, 1, 1, 0, 1, 0, 0, seed)).tokenId());
    }
  }

  @Test
  void aTinyTopPIsGreedy() {
    for (long seed = 0; seed < 20; seed++) {
      float[] logits = randomLogits(300, seed);
      int greedy = sampleOnce(logits, params(0, 1, 0, 0, 1, 0, 0, null)).tokenId();
      assertEquals(greedy, sampleOnce(logits, params(1.5, 1e-9, 0, 0, 1, 0, 0, seed)).tokenId());
    }
  }

  @Test
  void topKDrawsOnlyAmongTheKBest() {
    float[] logits = {1f, 4f, 3.9f, 3.8f, 0f, 2f};
    int[] counts = counts(logits, params(5.0, 1, 3, 0, 1, 0, 0, 7L), 3000);
    assertEquals(0, counts[0] + counts[4] + counts[5]);
    assertTrue(counts[1] > 0 && counts[2] > 0 && counts[3] > 0);
  }

  @Test
  void topPDrawsOnlyFromTheNucleus() {
    // probabilities 0.5, 0.3, 0.15, 0.05: the smallest prefix reaching 0.7 is tokens 0 and 1
    float[] logits = logitsOf(0.5, 0.3, 0.15, 0.05);
    int[] counts = counts(logits, params(1.0, 0.7, 0, 0, 1, 0, 0, 8L), 4000);
    assertEquals(0, counts[2] + counts[3]);
    assertEquals(0.5 / 0.8, counts[0] / 4000.0, 0.03);
  }

  @Test
  void topPFindsTheNucleusWhenMostMassIsInTheLongTail() {
    // one token with weight 1 and 5000 with weight e^-8 each: the tail holds ~63% of the mass,
    // and each tail token sits below the first cutoff of the candidate pool
    int vocab = 5001;
    float[] logits = new float[vocab];
    logits[vocab - 1] = 8f;
    double tail = Math.exp(-8);
    double total = 1 + (vocab - 1) * tail;
    // best first, then the tail in id order (ties go to lower ids): how many tail tokens reach 0.9
    int tailTokens = (int) Math.ceil((0.9 * total - 1) / tail);
    int[] counts = counts(logits, params(1.0, 0.9, 0, 0, 1, 0, 0, 11L), 1000);
    for (int id = tailTokens + 1; id < vocab - 1; id++) {
      assertEquals(0, counts[id], "token " + id + " lies outside the nucleus");
    }
    assertTrue(1000 - counts[vocab - 1] > 400, "most draws come from the tail");
    assertEquals(1 / (0.9 * total), counts[vocab - 1] / 1000.0, 0.05);
  }

  @Test
  void minPDropsTokensFarBelowTheBest() {
    // relative to the best (0.5): 0.6, 0.3, 0.1; min_p 0.2 keeps tokens 0, 1, 2
    float[] logits = logitsOf(0.5, 0.3, 0.15, 0.05);
    int[] counts = counts(logits, params(1.0, 1, 0, 0.2, 1, 0, 0, 9L), 4000);
    assertEquals(0, counts[3]);
    assertTrue(counts[2] > 0);
  }

  @Test
  void samplingFollowsTheSoftmaxAtTheGivenTemperature() {
    float[] logits = {1f, 2f, 0f};
    double temperature = 0.7;
    int draws = 20000;
    int[] counts = counts(logits, params(temperature, 1, 0, 0, 1, 0, 0, 10L), draws);
    double z = 0;
    for (float l : logits) {
      z += Math.exp(l / temperature);
    }
    for (int i = 0; i < logits.length; i++) {
      assertEquals(Math.exp(logits[i] / temperature) / z, counts[i] / (double) draws, 0.015);
    }
  }

  @Test
  void repetitionPenaltyPushesSeenTokensDownOnBothSidesOfZero() {
    SamplingParams penalised = params(0, 1, 0, 0, 1.2, 0, 0, null);
    // positive logit divided: 2.0 / 1.2 < 1.9
    assertEquals(1, sampler.sample(new float[] {2.0f, 1.9f}, new SamplingState(penalised, new int[] {0})).tokenId());
    // negative logit multiplied: -1.0 * 1.2 < -1.1
    assertEquals(1, sampler.sample(new float[] {-1.0f, -1.1f}, new SamplingState(penalised, new int[] {0})).tokenId());
    // without the penalty the seen token wins
    assertEquals(0, sampler.sample(new float[] {2.0f, 1.9f},
        new SamplingState(params(0, 1, 0, 0, 1, 0, 0, null), new int[] {0})).tokenId());
  }

  @Test
  void frequencyPenaltyGrowsWithEachGeneration() {
    SamplingState state = new SamplingState(params(0, 1, 0, 0, 1, 0.3, 0, null), new int[] {1});
    float[] logits = {1.0f, 0.5f};
    // the prompt does not count: token 0 wins, then costs 0.3 per generation until 0.5 wins
    assertEquals(0, sampler.sample(logits, state).tokenId()); // 1.0
    assertEquals(0, sampler.sample(logits, state).tokenId()); // 0.7
    assertEquals(1, sampler.sample(logits, state).tokenId()); // 0.4 < 0.5
    assertEquals(2, state.generatedCounts().get(0));
  }

  @Test
  void presencePenaltyIsPaidOnceAndANegativeOneEncourages() {
    SamplingState discouraged = new SamplingState(params(0, 1, 0, 0, 1, 0, 0.6, null), new int[0]);
    discouraged.accept(0);
    discouraged.accept(0);
    assertEquals(1, sampler.sample(new float[] {1.0f, 0.5f}, discouraged).tokenId()); // 0.4 < 0.5
    SamplingState almostFree = new SamplingState(params(0, 1, 0, 0, 1, 0, 0.4, null), new int[0]);
    almostFree.accept(0);
    almostFree.accept(0);
    assertEquals(0, sampler.sample(new float[] {1.0f, 0.5f}, almostFree).tokenId()); // 0.6 > 0.5, not 1.0 - 0.8
    SamplingState encouraged = new SamplingState(params(0, 1, 0, 0, 1, 0, -1.0, null), new int[0]);
    encouraged.accept(1);
    assertEquals(1, sampler.sample(new float[] {1.0f, 0.5f}, encouraged).tokenId());
  }

  @Test
  void logprobsAreANormalisedLogSoftmax() {
    float[] logits = randomLogits(50, 3);
    SamplingParams params = new SamplingParams(0.8, 1, 0, 0, 1, 0, 0, 5L, List.of(), List.of(), 10, true, 50, false);
    Sample sample = sampler.sample(logits, new SamplingState(params, new int[0]));
    List<TokenLogprob> top = sample.topLogprobs();
    assertEquals(50, top.size());
    double sum = 0;
    for (int i = 0; i < top.size(); i++) {
      sum += Math.exp(top.get(i).logprob());
      assertTrue(top.get(i).logprob() <= 0);
      if (i > 0) {
        assertTrue(top.get(i).logprob() <= top.get(i - 1).logprob());
      }
    }
    assertEquals(1.0, sum, 1e-9);
    double chosen = top.stream().filter(t -> t.tokenId() == sample.tokenId()).findFirst().orElseThrow().logprob();
    assertEquals(chosen, sample.logprob(), 1e-12);
    // the processed distribution is the softmax of logits / temperature
    double z = 0;
    for (float l : logits) {
      z += Math.exp(l / 0.8);
    }
    assertEquals(logits[sample.tokenId()] / 0.8 - Math.log(z), sample.logprob(), 1e-9);
  }

  @Test
  void topLogprobsListTheBestTokensFirstAndOnlyWhenAsked() {
    float[] logits = {0f, 3f, 1f, 2f};
    SamplingParams asked = new SamplingParams(0, 1, 0, 0, 1, 0, 0, null, List.of(), List.of(), 10, true, 2, false);
    Sample sample = sampler.sample(logits, new SamplingState(asked, new int[0]));
    assertEquals(List.of(1, 3), sample.topLogprobs().stream().map(TokenLogprob::tokenId).toList());
    double z = Math.exp(0) + Math.exp(3) + Math.exp(1) + Math.exp(2);
    assertEquals(3 - Math.log(z), sample.logprob(), 1e-9);
    assertTrue(sampleOnce(logits, params(0, 1, 0, 0, 1, 0, 0, null)).topLogprobs().isEmpty());
  }

  @Test
  void theSampledTokenIsRecordedInTheState() {
    SamplingState state = new SamplingState(params(1.0, 1, 0, 0, 1, 0, 0, 4L), new int[] {7});
    int token = sampler.sample(randomLogits(20, 4), state).tokenId();
    assertEquals(1, state.generatedCount());
    assertTrue(state.seenTokens().contains(token) && state.seenTokens().contains(7));
    assertNotEquals(null, state.generatedCounts().get(token));
  }

  private Sample sampleOnce(float[] logits, SamplingParams params) {
    return sampler.sample(logits, new SamplingState(params, new int[0]));
  }

  private int[] sequence(float[] logits, SamplingParams params, int length) {
    SamplingState state = new SamplingState(params, new int[0]);
    int[] tokens = new int[length];
    for (int i = 0; i < length; i++) {
      tokens[i] = sampler.sample(logits, state).tokenId();
    }
    return tokens;
  }

  /** Counts of each token over independent draws of one seeded request. */
  private int[] counts(float[] logits, SamplingParams params, int draws) {
    SamplingState state = new SamplingState(params, new int[0]);
    int[] counts = new int[logits.length];
    for (int i = 0; i < draws; i++) {
      counts[sampler.sample(logits, state).tokenId()]++;
    }
    return counts;
  }

  private static float[] logitsOf(double... probabilities) {
    float[] logits = new float[probabilities.length];
    for (int i = 0; i < logits.length; i++) {
      logits[i] = (float) Math.log(probabilities[i]);
    }
    return logits;
  }

  private static float[] randomLogits(int vocab, long seed) {
    SplittableRandom random = new SplittableRandom(seed);
    float[] logits = new float[vocab];
    for (int i = 0; i < vocab; i++) {
      logits[i] = (float) (random.nextDouble() * 8 - 4);
    }
    return logits;
  }

  private static SamplingParams params(double temperature, double topP, int topK, double minP, double repetition,
                                       double frequency, double presence, Long seed) {
    return new SamplingParams(temperature, topP, topK, minP, repetition, frequency, presence, seed,
        List.of(), List.of(), 16, false, 0, false);
  }
}
