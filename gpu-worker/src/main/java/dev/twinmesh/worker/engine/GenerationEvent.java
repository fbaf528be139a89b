package dev.twinmesh.worker.engine;

import dev.twinmesh.common.ApiException;
import java.util.List;

/** What the engine tells a request's owner: text as it is produced, then exactly one end. */
public sealed interface GenerationEvent {

  /**
   * New text (possibly empty while a stop string or a split UTF-8 character is held back) and the
   * sampled token with its logprobs when asked.
   */
  record Token(String text, TokenLogprob sampled, List<TokenLogprob> top, int completionTokens) implements GenerationEvent {}

  /** @param finishReason "stop" (end token or stop string) or "length" (max_tokens) */
  record Finished(String finishReason, String heldText, int promptTokens, int completionTokens, int cachedPromptTokens,
                  long queueNanos) implements GenerationEvent {}

  record Failed(ApiException error, int promptTokens, int completionTokens) implements GenerationEvent {}
}
