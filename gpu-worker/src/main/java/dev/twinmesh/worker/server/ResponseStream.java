package dev.twinmesh.worker.server;

import dev.twinmesh.common.ApiException;
import dev.twinmesh.common.HttpErrors;
import dev.twinmesh.common.OpenAiChunks;
import dev.twinmesh.common.OpenAiRequest;
import dev.twinmesh.common.Usage;
import dev.twinmesh.worker.engine.GenerationEvent;
import dev.twinmesh.worker.engine.TokenLogprob;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * Writes one request's engine events as OpenAI responses: SSE chunks when streaming, one body
 * otherwise. Runs on the request's event loop only.
 */
final class ResponseStream {
  private final OpenAiRequest request;
  private final HttpServerResponse response;
  private final String model;
  private final String id;
  private final long created = System.currentTimeMillis() / 1000;
  private final int promptTokens;
  private final StringBuilder text = new StringBuilder();
  private final List<JsonObject> collected = new ArrayList<>();
  private boolean ended;

  ResponseStream(OpenAiRequest request, HttpServerResponse response, String model, String id, int promptTokens) {
    this.request = request;
    this.response = response;
    this.model = model;
    this.id = id;
    this.promptTokens = promptTokens;
  }

  boolean ended() {
    return ended;
  }

  /** Headers and, for chats, the first chunk carrying the role. */
  void begin() {
    if (!request.stream()) {
      return;
    }
    response.setChunked(true)
        .putHeader(HttpHeaders.CONTENT_TYPE, "text/event-stream; charset=utf-8")
        .putHeader(HttpHeaders.CACHE_CONTROL, "no-cache")
        .putHeader("X-Accel-Buffering", "no");
    if (request.kind() == OpenAiRequest.Kind.CHAT) {
      write(OpenAiChunks.chunk(request.kind(), id, created, model, "assistant", "", null, null));
    } else {
      // the head now, not with the first token: a queued request is known accepted, and kept alive upstream
      response.writeHead();
    }
  }

  void on(GenerationEvent event) {
    if (ended) {
      return;
    }
    if (event instanceof GenerationEvent.Token token) {
      onToken(token);
    } else if (event instanceof GenerationEvent.Finished finished) {
      onFinished(finished);
    } else if (event instanceof GenerationEvent.Failed failed) {
      fail(failed.error());
    }
  }

  private void onToken(GenerationEvent.Token token) {
    JsonObject logprobs = token.sampled() == null ? null
        : request.kind() == OpenAiRequest.Kind.CHAT ? chatLogprobs(token.sampled(), token.top())
        : completionLogprobs(token.sampled(), token.top(), text.length());
    if (!request.stream()) {
      text.append(token.text());
      if (logprobs != null) {
        collected.add(logprobs);
      }
      return;
    }
    text.append(token.text());
    if (!token.text().isEmpty() || logprobs != null) {
      write(OpenAiChunks.chunk(request.kind(), id, created, model, null, token.text(), null, logprobs));
    }
  }

  private void onFinished(GenerationEvent.Finished finished) {
    ended = true;
    Usage usage = Usage.of(finished.promptTokens(), finished.completionTokens());
    if (!request.stream()) {
      text.append(finished.heldText());
      JsonObject logprobs = request.sampling().logprobs() ? mergeLogprobs() : null;
      response.putHeader(HttpHeaders.CONTENT_TYPE, "application/json")
          .end(OpenAiChunks.completion(request.kind(), id, created, model, text.toString(), finished.finishReason(),
              usage, logprobs).encode());
      return;
    }
    write(OpenAiChunks.chunk(request.kind(), id, created, model, null, finished.heldText(), finished.finishReason(), null));
    if (request.includeUsage()) {
      write(OpenAiChunks.usageChunk(request.kind(), id, created, model, usage));
    }
    response.end(OpenAiChunks.SSE_DONE);
  }

  /** Before the stream started: a status and an error body. Inside it: an error event, then [DONE]. */
  void fail(ApiException error) {
    if (ended) {
      return;
    }
    ended = true;
    if (request.stream() && response.headWritten()) {
      response.write(OpenAiChunks.sseData(error.toBody().encode()));
      response.end(OpenAiChunks.SSE_DONE);
    } else {
      HttpErrors.send(response, error);
    }
  }

  private void write(JsonObject chunk) {
    response.write(OpenAiChunks.sseData(chunk.encode()));
  }

  /** One non-streamed answer's logprobs: the per-token objects joined field by field. */
  private JsonObject mergeLogprobs() {
    JsonObject merged = new JsonObject();
    for (JsonObject one : collected) {
      for (String field : one.fieldNames()) {
        JsonArray into = merged.getJsonArray(field);
        if (into == null) {
          merged.put(field, into = new JsonArray());
        }
        into.addAll(one.getJsonArray(field));
      }
    }
    return merged;
  }

  /** OpenAI's legacy completions shape: parallel arrays of tokens, their logprobs, alternatives and offsets. */
  private static JsonObject completionLogprobs(TokenLogprob sampled, List<TokenLogprob> top, int offset) {
    JsonObject alternatives = new JsonObject();
    top.forEach(t -> alternatives.put(t.text(), t.logprob()));
    return new JsonObject()
        .put("tokens", new JsonArray().add(sampled.text()))
        .put("token_logprobs", new JsonArray().add(sampled.logprob()))
        .put("top_logprobs", new JsonArray().add(alternatives))
        .put("text_offset", new JsonArray().add(offset));
  }

  /** OpenAI's chat logprobs shape: {"content": [{token, logprob, bytes, top_logprobs}]}. */
  private static JsonObject chatLogprobs(TokenLogprob sampled, List<TokenLogprob> top) {
    JsonArray alternatives = new JsonArray();
    for (TokenLogprob t : top) {
      alternatives.add(entry(t));
    }
    return new JsonObject().put("content", new JsonArray().add(entry(sampled).put("top_logprobs", alternatives)));
  }

  private static JsonObject entry(TokenLogprob t) {
    JsonArray bytes = new JsonArray();
    for (byte b : t.text().getBytes(StandardCharsets.UTF_8)) {
      bytes.add(b & 0xff);
    }
    return new JsonObject().put("token", t.text()).put("logprob", t.logprob()).put("bytes", bytes);
  }
}
