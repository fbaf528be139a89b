package dev.twinmesh.app.bench;

import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Flow;

/**
 * Sends streamed OpenAI requests with the JDK's HTTP client and times each event as its bytes arrive
 * (no thread waits on a stream; the client's own threads deliver the buffers).
 */
final class StreamingClient {
  private final HttpClient http;
  private final Duration timeout;
  private final String apiKey;

  StreamingClient(Duration timeout, String apiKey) {
    this.http = HttpClient.newBuilder()
        .version(HttpClient.Version.HTTP_1_1)
        .connectTimeout(Duration.ofSeconds(10))
        .build();
    this.timeout = timeout;
    this.apiKey = apiKey;
  }

  /** One request to {@code url} (a full endpoint URL); completes when the stream ends or fails. */
  CompletableFuture<RequestResult> send(URI url, String body) {
    HttpRequest.Builder request = HttpRequest.newBuilder(url)
        .timeout(timeout)
        .header("content-type", "application/json")
        .header("accept", "text/event-stream")
        .POST(HttpRequest.BodyPublishers.ofString(body, StandardCharsets.UTF_8));
    if (apiKey != null && !apiKey.isBlank()) {
      request.header("authorization", "Bearer " + apiKey);
    }
    long sentAt = System.nanoTime();
    Timing timing = new Timing(sentAt);
    return http.sendAsync(request.build(), response -> response.statusCode() == 200
            ? HttpResponse.BodySubscribers.fromSubscriber(new EventSubscriber(timing), s -> timing.result())
            : HttpResponse.BodySubscribers.mapping(HttpResponse.BodySubscribers.ofString(StandardCharsets.UTF_8),
                text -> RequestResult.failed(System.nanoTime() - sentAt, "HTTP " + response.statusCode() + " " + brief(text))))
        .thenApply(HttpResponse::body)
        .exceptionally(e -> RequestResult.failed(System.nanoTime() - sentAt, rootMessage(e)));
  }

  private static String brief(String text) {
    String oneLine = text.replaceAll("\\s+", " ");
    return oneLine.length() > 160 ? oneLine.substring(0, 160) + "..." : oneLine;
  }

  private static String rootMessage(Throwable e) {
    Throwable root = e;
    while (root.getCause() != null) {
      root = root.getCause();
    }
    return root.getClass().getSimpleName() + (root.getMessage() == null ? "" : ": " + root.getMessage());
  }

  /** Event times and counts of one stream, read from the HTTP client's delivery thread. */
  private static final class Timing {
    final long sentAt;
    long firstText = -1;
    long lastText = -1;
    final LongList gaps = new LongList();
    int textEvents;
    Integer usageTokens;
    int promptTokens;
    boolean done;
    String error;
    long endedAt;

    Timing(long sentAt) {
      this.sentAt = sentAt;
    }

    void onEvent(String data, long now) {
      if (done) {
        return;
      }
      if (data.equals("[DONE]")) {
        done = true;
        return;
      }
      JsonObject chunk;
      try {
        chunk = new JsonObject(data);
      } catch (DecodeException e) {
        error = "an event that is not JSON: " + data;
        return;
      }
      if (chunk.containsKey("error")) {
        JsonObject err = chunk.getJsonObject("error");
        error = "in-stream error: " + (err == null ? data : err.getString("message"));
        return;
      }
      JsonObject usage = chunk.getJsonObject("usage");
      if (usage != null && usage.getInteger("completion_tokens") != null) {
        usageTokens = usage.getInteger("completion_tokens");
        promptTokens = usage.getInteger("prompt_tokens", 0);
      }
      if (hasText(chunk)) {
        if (firstText < 0) {
          firstText = now;
        } else {
          gaps.add(now - lastText);
        }
        lastText = now;
        textEvents++;
      }
    }

    private static boolean hasText(JsonObject chunk) {
      JsonArray choices = chunk.getJsonArray("choices");
      if (choices == null || choices.isEmpty()) {
        return false;
      }
      JsonObject choice = choices.getJsonObject(0);
      JsonObject delta = choice.getJsonObject("delta");
      String text = delta != null ? delta.getString("content") : choice.getString("text");
      return text != null && !text.isEmpty();
    }

    RequestResult result() {
      long total = endedAt - sentAt;
      if (error == null && !done) {
        error = "the stream ended without [DONE]";
      }
      if (error == null && firstText < 0) {
        error = "no text in the answer";
      }
      return new RequestResult(firstText < 0 ? -1 : firstText - sentAt, gaps.toArray(), total,
          usageTokens != null ? usageTokens : textEvents, promptTokens, error);
    }
  }

  /** Feeds the body's buffers to the SSE splitter, stamping each event with the time its bytes arrived. */
  private static final class EventSubscriber implements Flow.Subscriber<List<ByteBuffer>> {
    private final Timing timing;
    private final SseEventSplitter splitter;
    private long arrivedAt;

    EventSubscriber(Timing timing) {
      this.timing = timing;
      this.splitter = new SseEventSplitter(data -> timing.onEvent(data, arrivedAt));
    }

    @Override
    public void onSubscribe(Flow.Subscription subscription) {
      subscription.request(Long.MAX_VALUE);
    }

    @Override
    public void onNext(List<ByteBuffer> buffers) {
      arrivedAt = System.nanoTime();
      buffers.forEach(splitter::feed);
    }

    @Override
    public void onError(Throwable throwable) {
      timing.endedAt = System.nanoTime();
      if (timing.error == null) {
        timing.error = "the stream broke: " + rootMessage(throwable);
      }
    }

    @Override
    public void onComplete() {
      timing.endedAt = System.nanoTime();
    }
  }

  /** A growable array of longs, so a long stream's gaps are not boxed one by one. */
  static final class LongList {
    private long[] values = new long[256];
    private int size;

    void add(long value) {
      if (size == values.length) {
        values = java.util.Arrays.copyOf(values, size * 2);
      }
      values[size++] = value;
    }

    long[] toArray() {
      return java.util.Arrays.copyOf(values, size);
    }
  }
}
