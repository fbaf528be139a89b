package dev.twinmesh.worker.engine;

import dev.twinmesh.common.SamplingParams;
import dev.twinmesh.worker.sampling.Sample;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * Turns one sequence's sampled tokens into stream events: detokenizes incrementally, holds back stop
 * strings, and decides when the sequence is finished (end token, stop token, stop string, max_tokens).
 */
final class SequenceOutput {
  private final TokenTextDecoder decoder;
  private final TokenTextDecoder.Stream text;
  private final StopStringFilter stops;
  private final Set<Integer> stopTokenIds;
  private final SamplingParams sampling;
  private final int maxTokens;
  private int completionTokens;
  private String finishReason;

  SequenceOutput(TokenTextDecoder decoder, SamplingParams sampling, int maxTokens, Set<Integer> eosTokenIds) {
    this.decoder = decoder;
    this.text = decoder.open();
    this.stops = new StopStringFilter(sampling.stop());
    this.sampling = sampling;
    this.maxTokens = maxTokens;
    Set<Integer> ids = new java.util.HashSet<>(sampling.stopTokenIds());
    if (!sampling.ignoreEos()) {
      ids.addAll(eosTokenIds);
    }
    this.stopTokenIds = Set.copyOf(ids);
  }

  /** Records one sampled token and returns the event to send for it. */
  GenerationEvent.Token accept(Sample choice) {
    completionTokens++;
    String delta = "";
    if (stopTokenIds.contains(choice.tokenId())) {
      finishReason = "stop";
    } else {
      delta = stops.accept(text.next(choice.tokenId()));
      if (stops.stopped()) {
        finishReason = "stop";
      }
    }
    if (finishReason == null && completionTokens >= maxTokens) {
      finishReason = "length";
    }
    return new GenerationEvent.Token(delta, sampled(choice), alternatives(choice), completionTokens);
  }

  boolean finished() {
    return finishReason != null;
  }

  /** The end of the sequence; a reason the output did not see itself (the scheduler's) counts as "stop"/"length". */
  GenerationEvent.Finished finish(int promptTokens, int cachedPromptTokens, long queueNanos) {
    String reason = finishReason != null ? finishReason : completionTokens >= maxTokens ? "length" : "stop";
    String held = "";
    if (!stops.stopped()) {
      // bytes of an unfinished character are text too (U+FFFD, as in the full decode), and may end a stop string
      held = stops.accept(text.flush());
      held += stops.stopped() ? "" : stops.flush();
    }
    return new GenerationEvent.Finished(reason, held, promptTokens, completionTokens, cachedPromptTokens, queueNanos);
  }

  int completionTokens() {
    return completionTokens;
  }

  private TokenLogprob sampled(Sample choice) {
    return sampling.logprobs()
        ? new TokenLogprob(choice.tokenId(), decoder.tokenText(choice.tokenId()), (float) choice.logprob()) : null;
  }

  private List<TokenLogprob> alternatives(Sample choice) {
    if (!sampling.logprobs()) {
      return List.of();
    }
    List<TokenLogprob> top = new ArrayList<>(choice.topLogprobs().size());
    for (Sample.TokenLogprob alternative : choice.topLogprobs()) {
      top.add(new TokenLogprob(alternative.tokenId(), decoder.tokenText(alternative.tokenId()), (float) alternative.logprob()));
    }
    return top;
  }
}
