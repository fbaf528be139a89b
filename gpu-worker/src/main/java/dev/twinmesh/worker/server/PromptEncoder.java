package dev.twinmesh.worker.server;

import dev.twinmesh.common.ChatMessage;
import java.util.List;

/** Turns what a client sent into prompt token ids: chats through the model's chat template. */
public interface PromptEncoder {

  int[] encodeChat(List<ChatMessage> messages);

  int[] encodePrompt(String prompt);

  /** The text of one token, for logprobs. */
  String tokenText(int tokenId);
}
