package dev.twinmesh.gateway;

import dev.twinmesh.common.ApiException;
import dev.twinmesh.common.HttpErrors;
import dev.twinmesh.common.Names;
import dev.twinmesh.common.OpenAiChunks;
import dev.twinmesh.common.OpenAiRequest;
import dev.twinmesh.common.OpenAiRequests;
import dev.twinmesh.common.SseEventParser;
import dev.twinmesh.common.TraceRecord;
import dev.twinmesh.common.Usage;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClientAgent;
import io.vertx.core.http.HttpClientRequest;
import io.vertx.core.http.HttpClientResponse;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.HashSet;
import java.util.Optional;
import java.util.Set;
import java.util.function.Consumer;

/**
 * Carries one generation from a worker to a client. The worker is always asked to stream (so the
 * gateway sees the first token and the usage); the client gets SSE chunks as they arrive, or one body
 * at the end. The client's stream opens when a worker accepts the request, so a refusal (422, 429...)
 * still reaches the client as an HTTP status. Until the first event arrives a failed worker is replaced by another one; after that a
 * failure becomes an in-stream error. Exactly one of complete, fail or cancel ends the relay, and each
 * publishes one trace and runs {@code onEnd} once.
 *
 * <p>A twin-mesh worker takes the gateway's completion id and so writes exactly the chunks the client
 * must see: their bytes are forwarded as they came, one write per upstream buffer, and only what the
 * trace needs is read from them ({@link TokenChunk}). Any other chunk (usage, errors, another server's
 * chunks) is parsed and rewritten.
 */
final class CompletionRelay {
  private final Vertx vertx;
  private final OpenAiRequest request;
  private final HttpServerResponse response;
  private final TraceRecorder trace;
  private final WorkerPool pool;
  private final HttpClientAgent client;
  private final Consumer<TraceRecord> traces;
  private final Runnable onEnd;
  private final long keepAliveMillis;
  private final String id;
  private final long created = System.currentTimeMillis() / 1000;
  private final Set<WorkerPool.Worker> tried = new HashSet<>();
  private WorkerPool.Worker worker;
  private HttpClientRequest upstream;
  private boolean streamStarted;
  private boolean upstreamEventSeen;
  private boolean ended;
  private long keepAliveTimer = -1;
  private long lastWrite;
  /** The worker wrote our id into its chunks: its token chunks need no rewriting. */
  private boolean workerTookOurId;
  private final TokenChunk tokenChunk = new TokenChunk();
  /** Token chunks waiting to be forwarded together: {@code run[runStart, runEnd)}. */
  private Buffer run;
  private int runStart;
  private int runEnd;

  CompletionRelay(Vertx vertx, OpenAiRequest request, HttpServerResponse response, TraceRecorder trace, WorkerPool pool,
                  HttpClientAgent client, Consumer<TraceRecord> traces, long keepAliveMillis, Runnable onEnd) {
    this.vertx = vertx;
    this.request = request;
    this.response = response;
    this.trace = trace;
    this.pool = pool;
    this.client = client;
    this.traces = traces;
    this.keepAliveMillis = keepAliveMillis;
    this.onEnd = onEnd;
    this.id = (request.kind() == OpenAiRequest.Kind.CHAT ? "chatcmpl-" : "cmpl-") + trace.traceId();
  }

  void start() {
    response.closeHandler(v -> cancel());
    sendToNextWorker(null);
  }

  /** Tries a worker not tried yet; {@code lastError} is what the previous one did, if any. */
  private void sendToNextWorker(ApiException lastError) {
    if (ended) {
      return;
    }
    Optional<WorkerPool.Worker> next = pool.acquire(tried);
    if (next.isEmpty()) {
      fail(lastError != null ? lastError : ApiException.unavailable("no healthy worker is available", 2));
      return;
    }
    worker = next.get();
    tried.add(worker);
    trace.upstream(worker.id());
    JsonObject body = OpenAiRequests.toJson(request)
        .put("stream", true)
        .put("stream_options", new JsonObject().put("include_usage", true));
    // host, port and path as they are: an absolute URI would be built and parsed again for every request
    RequestOptions options = new RequestOptions()
        .setMethod(HttpMethod.POST)
        .setHost(worker.uri.getHost())
        .setPort(worker.port())
        .setSsl(worker.tls())
        .setURI(request.kind().path)
        .putHeader(HttpHeaders.CONTENT_TYPE, "application/json")
        .putHeader(Names.HEADER_TRACE_ID, trace.traceId())
        .putHeader(Names.HEADER_COMPLETION_ID, id);
    WorkerPool.Worker attempt = worker;
    client.request(options)
        .compose(req -> {
          upstream = req;
          if (ended) {
            // the client left while the connection was being taken: send nothing to generate
            req.reset();
            return Future.failedFuture("the client went away");
          }
          return req.send(body.toBuffer());
        })
        .onSuccess(resp -> onUpstreamResponse(attempt, resp))
        .onFailure(e -> retryOrFail(attempt, ApiException.badGateway("worker " + attempt.id() + " is unreachable: " + e.getMessage())));
  }

  /** Before any event arrived the request can move to another worker; afterwards it fails in the stream. */
  private void retryOrFail(WorkerPool.Worker attempt, ApiException error) {
    if (ended || attempt != worker) {
      return; // our own cancel, or an attempt already counted and left behind: not the worker's failure
    }
    pool.failed(attempt);
    pool.release(attempt);
    worker = null;
    if (upstreamEventSeen) {
      fail(error);
    } else {
      sendToNextWorker(error);
    }
  }

  private void onUpstreamResponse(WorkerPool.Worker attempt, HttpClientResponse upstreamResponse) {
    if (ended) {
      upstreamResponse.request().reset(); // the client left before the worker answered: stop the generation
      return;
    }
    int status = upstreamResponse.statusCode();
    if (status >= 500) {
      upstreamResponse.body().onComplete(b -> retryOrFail(attempt,
          ApiException.fromBody(status == 503 ? 503 : 502, b.succeeded() ? parseOrNull(b.result()) : null)));
      return;
    }
    if (status != 200) {
      pool.succeeded(attempt);
      upstreamResponse.body()
          .onSuccess(b -> fail(ApiException.fromBody(status, parseOrNull(b))))
          .onFailure(e -> fail(ApiException.badGateway("worker answered " + status)));
      return;
    }
    pool.succeeded(attempt);
    if (request.stream() && !streamStarted) {
      startStream();
    }
    workerTookOurId = id.equals(upstreamResponse.getHeader(Names.HEADER_COMPLETION_ID));
    SseEventParser parser = new SseEventParser(new SseEventParser.Frames() {
      @Override
      public void event(Buffer bytes, int start, int end) {
        onUpstreamFrame(bytes, start, end);
      }

      @Override
      public void drained() {
        forwardRun();
      }
    });
    upstreamResponse.handler(parser::feed);
    upstreamResponse.exceptionHandler(e -> retryOrFail(attempt, ApiException.badGateway("worker stream broke: " + e.getMessage())));
    upstreamResponse.endHandler(v -> {
      if (!ended) {
        retryOrFail(attempt, ApiException.badGateway("worker " + attempt.id() + " ended the stream before [DONE]"));
      }
    });
  }

  private void startStream() {
    streamStarted = true;
    response.setChunked(true)
        .putHeader(HttpHeaders.CONTENT_TYPE, "text/event-stream; charset=utf-8")
        .putHeader(HttpHeaders.CACHE_CONTROL, "no-cache")
        .putHeader("X-Accel-Buffering", "no");
    // the head at once: the client knows it was accepted even while the worker still queues the request
    response.writeHead();
    lastWrite = System.nanoTime();
    keepAliveTimer = vertx.setPeriodic(keepAliveMillis, t -> keepAlive());
  }

  /** An SSE comment when the stream has been silent, so proxies and browsers keep a queued request open. */
  private void keepAlive() {
    if (!ended && System.nanoTime() - lastWrite >= keepAliveMillis * 1_000_000L) {
      writeRaw(": keep-alive\n\n");
    }
  }

  /** One upstream event as bytes: a plain token chunk of our own id is forwarded as it is, anything else parsed. */
  private void onUpstreamFrame(Buffer bytes, int start, int end) {
    if (ended) {
      return;
    }
    if (workerTookOurId) {
      int payload = SseEventParser.singleDataLine(bytes, start, end);
      if (payload >= 0 && tokenChunk.read(bytes, payload, end - 2, request.kind())) {
        upstreamEventSeen = true;
        if (!tokenChunk.text.isEmpty()) {
          trace.text(tokenChunk.text);
        }
        if (tokenChunk.finishReason != null) {
          trace.finish(tokenChunk.finishReason);
        }
        if (request.stream()) {
          addToRun(bytes, start, end);
        }
        return;
      }
    }
    forwardRun();
    String data = SseEventParser.data(bytes, start, end);
    if (data != null) {
      onUpstreamEvent(data);
    }
  }

  private void addToRun(Buffer bytes, int start, int end) {
    if (run != bytes || runEnd != start) {
      forwardRun();
      run = bytes;
      runStart = start;
    }
    runEnd = end;
  }

  /** Writes the waiting token chunks: the upstream buffer itself when they fill it, which is the usual case. */
  private void forwardRun() {
    if (run == null) {
      return;
    }
    Buffer chunks = runStart == 0 && runEnd == run.length() ? run : run.getBuffer(runStart, runEnd);
    run = null;
    if (!ended) {
      lastWrite = System.nanoTime();
      response.write(chunks);
    }
  }

  private void onUpstreamEvent(String data) {
    if (ended) {
      return;
    }
    upstreamEventSeen = true;
    if ("[DONE]".equals(data)) {
      complete();
      return;
    }
    JsonObject chunk = parseOrNull(Buffer.buffer(data));
    if (chunk == null) {
      fail(ApiException.badGateway("worker sent an event that is not JSON"));
      return;
    }
    if (chunk.containsKey("error")) {
      fail(ApiException.fromBody(500, chunk));
      return;
    }
    JsonObject usage = chunk.getJsonObject("usage");
    if (usage != null) {
      trace.usage(new Usage(usage.getInteger("prompt_tokens", 0), usage.getInteger("completion_tokens", 0),
          usage.getInteger("total_tokens", 0)));
    }
    JsonArray choices = chunk.getJsonArray("choices");
    if (choices == null || choices.isEmpty()) {
      if (usage != null && request.stream() && request.includeUsage()) {
        // a worker that took our id wrote the chunk the client must see, its "created" matching the others
        writeRaw(workerTookOurId ? OpenAiChunks.sseData(data)
            : OpenAiChunks.sseData(OpenAiChunks.usageChunk(request.kind(), id, created, request.model(),
                trace.usageOrZero()).encode()));
      }
      return;
    }
    JsonObject choice = choices.getJsonObject(0);
    String text = request.kind() == OpenAiRequest.Kind.CHAT
        ? choice.getJsonObject("delta", new JsonObject()).getString("content")
        : choice.getString("text");
    if (text != null && !text.isEmpty()) {
      trace.text(text);
    }
    if (choice.getString("finish_reason") != null) {
      trace.finish(choice.getString("finish_reason"));
    }
    if (request.stream()) {
      writeEvent(chunk.put("id", id).put("model", request.model()).put("created", created));
    }
  }

  private void writeEvent(JsonObject event) {
    writeRaw(OpenAiChunks.sseData(event.encode()));
  }

  private void writeRaw(String text) {
    lastWrite = System.nanoTime();
    response.write(text);
  }

  private void complete() {
    if (!end()) {
      return;
    }
    if (request.stream()) {
      response.end(OpenAiChunks.SSE_DONE);
    } else {
      JsonObject body = OpenAiChunks.completion(request.kind(), id, created, request.model(), trace.answer(),
          trace.finishReason(), trace.usageOrZero(), null);
      response.putHeader(HttpHeaders.CONTENT_TYPE, "application/json").end(body.encode());
    }
    traces.accept(trace.ok());
  }

  private void fail(ApiException error) {
    if (!end()) {
      return;
    }
    if (streamStarted) {
      response.write(OpenAiChunks.sseData(error.toBody().encode()));
      response.end(OpenAiChunks.SSE_DONE);
    } else {
      HttpErrors.send(response, error);
    }
    traces.accept(trace.failed(error));
  }

  /** The client went away: stop the worker's generation so it frees its KV blocks. */
  private void cancel() {
    if (!end()) {
      return;
    }
    if (upstream != null) {
      upstream.reset();
    }
    traces.accept(trace.cancelled());
  }

  /** Marks the relay ended exactly once and gives back what it held; false when already ended. */
  private boolean end() {
    if (ended) {
      return false;
    }
    ended = true;
    if (keepAliveTimer >= 0) {
      vertx.cancelTimer(keepAliveTimer);
    }
    if (worker != null) {
      pool.release(worker);
    }
    onEnd.run();
    return true;
  }

  private static JsonObject parseOrNull(Buffer bytes) {
    try {
      return bytes.toJsonObject();
    } catch (DecodeException | ClassCastException e) {
      return null;
    }
  }
}
