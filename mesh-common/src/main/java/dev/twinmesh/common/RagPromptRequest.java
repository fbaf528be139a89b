package dev.twinmesh.common;

import java.util.List;

/** Asks the rag-verticle to turn a user's conversation into the messages the model sees. */
public record RagPromptRequest(String traceId, List<ChatMessage> messages, String question, String author, boolean rag) {}
