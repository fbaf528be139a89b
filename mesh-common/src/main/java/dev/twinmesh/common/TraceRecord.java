package dev.twinmesh.common;

import java.util.List;
import java.util.Map;

/**
 * One finished, failed or cancelled generation, as it travels on {@code twin.traces.v1} (keyed by trace id)
 * and as the monitoring consumer stores it. Times are epoch milliseconds; latencies are milliseconds.
 */
public record TraceRecord(
    String schema,
    String traceId,
    Times times,
    Request request,
    String promptTemplate,
    Map<String, String> templateVariables,
    Retrieval retrieval,
    List<ChatMessage> messages,
    String prompt,
    String answer,
    String finishReason,
    Tokens tokens,
    Latencies latencies,
    String workerId,
    String status,
    Error error) {

  public static final String STATUS_OK = "ok";
  public static final String STATUS_FAILED = "failed";
  public static final String STATUS_CANCELLED = "cancelled";

  public record Times(long receivedAt, Long firstTokenAt, long finishedAt) {}

  public record Request(String kind, String model, SamplingParams sampling, String author, boolean rag, boolean stream) {}

  public record Retrieval(String collection, List<RetrievedChunk> chunks, long tookMs) {}

  public record RetrievedChunk(String id, double score, String collection, String source) {}

  /** Prompt tokens include the context tokens; context tokens are the retrieved part. */
  public record Tokens(int prompt, int context, int answer) {}

  public record Latencies(Long queueMs, Long ttftMs, Double interTokenMs, long totalMs, Long retrievalMs) {}

  public record Error(int status, String type, String message) {}
}
