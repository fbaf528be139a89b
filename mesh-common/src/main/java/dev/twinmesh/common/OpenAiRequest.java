package dev.twinmesh.common;

import java.util.List;

/**
 * A validated OpenAI-compatible generation request: chat ({@code messages}) or completion ({@code prompt}).
 * The twin's extensions ride along: {@code rag} and {@code author}.
 */
public record OpenAiRequest(
    Kind kind,
    String model,
    List<ChatMessage> messages,
    String prompt,
    boolean stream,
    boolean includeUsage,
    SamplingParams sampling,
    boolean rag,
    String author,
    int priority) {

  public enum Kind {
    CHAT("chat.completion", "/v1/chat/completions"),
    COMPLETION("text_completion", "/v1/completions");

    public final String object;
    public final String path;

    Kind(String object, String path) {
      this.object = object;
      this.path = path;
    }
  }

  public OpenAiRequest {
    messages = messages == null ? List.of() : List.copyOf(messages);
  }

  /** The question the user asked: the last user message, or the prompt. */
  public String question() {
    if (kind == Kind.COMPLETION) {
      return prompt;
    }
    for (int i = messages.size() - 1; i >= 0; i--) {
      if ("user".equals(messages.get(i).role())) {
        return messages.get(i).content();
      }
    }
    return "";
  }

  public OpenAiRequest withMessages(List<ChatMessage> newMessages) {
    return new OpenAiRequest(kind, model, newMessages, prompt, stream, includeUsage, sampling, rag, author, priority);
  }

}
