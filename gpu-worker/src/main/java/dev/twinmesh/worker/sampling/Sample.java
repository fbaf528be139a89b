package dev.twinmesh.worker.sampling;

import java.util.List;

/**
 * One sampled token.
 *
 * @param logprob     the token's log-probability under the processed distribution
 * @param topLogprobs the most likely tokens under that distribution, best first; empty unless asked
 */
public record Sample(int tokenId, double logprob, List<TokenLogprob> topLogprobs) {

  public record TokenLogprob(int tokenId, double logprob) {}

  public Sample {
    topLogprobs = List.copyOf(topLogprobs);
  }
}
