package dev.twinmesh.gateway;

import dev.twinmesh.common.ApiException;
import dev.twinmesh.common.ChatMessage;
import dev.twinmesh.common.Json;
import dev.twinmesh.common.Names;
import dev.twinmesh.common.OpenAiRequest;
import dev.twinmesh.common.RagPromptReply;
import dev.twinmesh.common.TraceRecord;
import dev.twinmesh.common.Usage;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Collects what one request went through (retrieval, messages, tokens, timings) and turns it into the
 * {@link TraceRecord} published when the request ends. Lives on the request's event-loop context only.
 */
final class TraceRecorder {
  private final String traceId;
  private final OpenAiRequest request;
  private final long receivedAt = System.currentTimeMillis();
  private final StringBuilder answer = new StringBuilder();
  private RagPromptReply rag;
  private List<ChatMessage> messages = List.of();
  private String workerId;
  private long upstreamSentAt;
  private Long firstTokenAt;
  private long lastTokenAt;
  private int tokenEvents;
  private String finishReason;
  private Usage usage;

  TraceRecorder(String traceId, OpenAiRequest request) {
    this.traceId = traceId;
    this.request = request;
  }

  String traceId() {
    return traceId;
  }

  void retrieval(RagPromptReply reply) {
    this.rag = reply;
  }

  void messagesSent(List<ChatMessage> sent) {
    this.messages = sent;
  }

  void upstream(String worker) {
    this.workerId = worker;
    this.upstreamSentAt = System.currentTimeMillis();
  }

  void text(String delta) {
    long now = System.currentTimeMillis();
    if (firstTokenAt == null) {
      firstTokenAt = now;
    }
    lastTokenAt = now;
    tokenEvents++;
    answer.append(delta);
  }

  void finish(String reason) {
    this.finishReason = reason;
  }

  void usage(Usage reported) {
    this.usage = reported;
  }

  /** The retrieved chunks as URL-encoded JSON (header-safe), when retrieval found any. */
  Optional<String> sources() {
    if (rag == null || rag.retrieved() == null || rag.retrieved().isEmpty()) {
      return Optional.empty();
    }
    String json = Json.write(rag.retrieved());
    return Optional.of(URLEncoder.encode(json, StandardCharsets.UTF_8).replace("+", "%20"));
  }

  String answer() {
    return answer.toString();
  }

  String finishReason() {
    return finishReason;
  }

  Usage usageOrZero() {
    return usage == null ? Usage.of(0, 0) : usage;
  }

  TraceRecord ok() {
    return build(TraceRecord.STATUS_OK, null);
  }

  TraceRecord cancelled() {
    return build(TraceRecord.STATUS_CANCELLED, null);
  }

  TraceRecord failed(ApiException error) {
    return build(TraceRecord.STATUS_FAILED, new TraceRecord.Error(error.status(), error.type(), error.getMessage()));
  }

  private TraceRecord build(String status, TraceRecord.Error error) {
    long finishedAt = System.currentTimeMillis();
    Usage counted = usageOrZero();
    Long ttft = firstTokenAt == null || upstreamSentAt == 0 ? null : firstTokenAt - receivedAt;
    Double interToken = tokenEvents > 1 ? (lastTokenAt - firstTokenAt) / (double) (tokenEvents - 1) : null;
    Long retrievalMs = rag == null ? null : rag.tookMs();
    Long queueMs = upstreamSentAt == 0 ? null : upstreamSentAt - receivedAt;
    return new TraceRecord(
        Names.SCHEMA_TRACE,
        traceId,
        new TraceRecord.Times(receivedAt, firstTokenAt, finishedAt),
        new TraceRecord.Request(request.kind().name().toLowerCase(), request.model(), request.sampling(),
            request.author(), request.rag(), request.stream()),
        rag == null ? null : rag.template(),
        rag == null ? Map.of() : rag.variables(),
        rag == null ? null : new TraceRecord.Retrieval(null, rag.retrieved(), rag.tookMs()),
        messages,
        request.kind() == OpenAiRequest.Kind.COMPLETION ? request.prompt() : null,
        answer.toString(),
        finishReason,
        new TraceRecord.Tokens(counted.promptTokens(), rag == null ? 0 : rag.contextTokens(), counted.completionTokens()),
        new TraceRecord.Latencies(queueMs, ttft, interToken, finishedAt - receivedAt, retrievalMs),
        workerId,
        status,
        error);
  }
}
