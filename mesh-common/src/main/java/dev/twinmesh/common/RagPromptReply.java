package dev.twinmesh.common;

import java.util.List;
import java.util.Map;

/**
 * The rag-verticle's answer: the final messages for the model, and what went into them
 * (template name and variables, retrieved chunks), for the trace.
 */
public record RagPromptReply(
    List<ChatMessage> messages,
    String template,
    Map<String, String> variables,
    List<TraceRecord.RetrievedChunk> retrieved,
    int contextTokens,
    long tookMs) {}
