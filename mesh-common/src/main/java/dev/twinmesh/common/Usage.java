package dev.twinmesh.common;

/** OpenAI's usage block. */
public record Usage(int promptTokens, int completionTokens, int totalTokens) {
  public static Usage of(int prompt, int completion) {
    return new Usage(prompt, completion, prompt + completion);
  }
}
