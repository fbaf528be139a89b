package dev.twinmesh.worker.engine;

import dev.twinmesh.common.SamplingParams;

/** Chooses the next token from logits, one chooser per request (it carries the request's random state). */
public interface TokenSampler {

  Chooser forRequest(SamplingParams params);

  interface Chooser {
    /**
     * @param context prompt and generated ids so far, for the penalties
     * @param generatedFrom index in {@code context} where generated tokens start
     */
    Choice choose(float[] logits, int[] context, int contextLength, int generatedFrom);
  }

  /** The chosen token, and its logprob and alternatives when the request asked for them. */
  record Choice(int tokenId, float logprob, int[] topIds, float[] topLogprobs) {}
}
