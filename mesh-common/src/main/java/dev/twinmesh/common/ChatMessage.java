package dev.twinmesh.common;

/** One chat message as OpenAI's API carries it. */
public record ChatMessage(String role, String content) {
  public static ChatMessage system(String content) { return new ChatMessage("system", content); }
  public static ChatMessage user(String content) { return new ChatMessage("user", content); }
  public static ChatMessage assistant(String content) { return new ChatMessage("assistant", content); }
}
