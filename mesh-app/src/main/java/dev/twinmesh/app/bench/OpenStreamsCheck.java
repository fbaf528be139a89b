package dev.twinmesh.app.bench;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Flow;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;

/**
 * Opens many streamed generations at once and holds them: each must open (200 and headers), then either
 * end with {@code [DONE]} or stay open until the hold ends, with no error. What the server keeps per
 * open stream (the gateway's memory) is read from its {@code /metrics} by the caller.
 */
final class OpenStreamsCheck {
  /** Connections being opened at once, so a burst of thousands does not overflow the server's accept queue. */
  private static final int OPENING_AT_ONCE = 256;

  /** What the check saw. */
  record Outcome(int streams, int opened, int answered, int stillOpen, int failed, long keepAlives,
                 double openSeconds, double heldSeconds, Map<String, Integer> errorKinds) {
    boolean passed() {
      return opened == streams && failed == 0 && answered + stillOpen == streams;
    }
  }

  private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
      .connectTimeout(Duration.ofSeconds(30)).build();
  private final String apiKey;
  private final Semaphore opening = new Semaphore(OPENING_AT_ONCE);
  private final AtomicInteger opened = new AtomicInteger();
  private final AtomicInteger answered = new AtomicInteger();
  private final AtomicInteger failed = new AtomicInteger();
  private final LongAdder keepAlives = new LongAdder();
  private final Map<String, Integer> errorKinds = new ConcurrentHashMap<>();
  private final ConcurrentLinkedQueue<Stream> openStreams = new ConcurrentLinkedQueue<>();

  OpenStreamsCheck(String apiKey) {
    this.apiKey = apiKey;
  }

  /**
   * Opens {@code streams} requests to {@code url}, holds them for {@code hold} once all are open, runs
   * {@code whileHeld} (the streams still open), then closes the rest.
   */
  Outcome run(URI url, String body, int streams, Duration hold, Runnable whileHeld) throws InterruptedException {
    long start = System.nanoTime();
    for (int i = 0; i < streams; i++) {
      opening.acquire();
      open(url, body);
    }
    opening.acquire(OPENING_AT_ONCE); // every stream has its answer head or has failed
    opening.release(OPENING_AT_ONCE);
    double openSeconds = (System.nanoTime() - start) / 1e9;
    long held = System.nanoTime();
    long deadline = held + hold.toNanos();
    while (System.nanoTime() < deadline && answered.get() + failed.get() < streams) {
      TimeUnit.MILLISECONDS.sleep(50);
    }
    double heldSeconds = (System.nanoTime() - held) / 1e9;
    int answeredNow = answered.get();
    int failedNow = failed.get();
    whileHeld.run();
    openStreams.forEach(Stream::cancel); // the client leaves: the server cancels what is left
    return new Outcome(streams, opened.get(), answeredNow, streams - answeredNow - failedNow, failedNow,
        keepAlives.sum(), openSeconds, heldSeconds, Map.copyOf(errorKinds));
  }

  private void open(URI url, String body) {
    HttpRequest.Builder request = HttpRequest.newBuilder(url)
        .header("content-type", "application/json")
        .header("accept", "text/event-stream")
        .POST(HttpRequest.BodyPublishers.ofString(body, StandardCharsets.UTF_8));
    if (apiKey != null && !apiKey.isBlank()) {
      request.header("authorization", "Bearer " + apiKey);
    }
    AtomicBoolean headed = new AtomicBoolean();
    http.sendAsync(request.build(), response -> {
      headed.set(true);
      opening.release();
      if (response.statusCode() != 200) {
        fail("HTTP " + response.statusCode());
        return HttpResponse.BodySubscribers.discarding();
      }
      opened.incrementAndGet();
      return HttpResponse.BodySubscribers.fromSubscriber(new Stream());
    }).whenComplete((response, error) -> {
      if (error != null && !headed.get()) { // never got a head: connection refused, reset or timed out
        opening.release();
        Throwable root = error.getCause() == null ? error : error.getCause();
        fail(root.getClass().getSimpleName());
      }
    });
  }

  private void fail(String kind) {
    failed.incrementAndGet();
    errorKinds.merge(kind, 1, Integer::sum);
  }

  /** One stream's body: [DONE] answers it; an error event, or an end or break before [DONE], fails it. */
  private final class Stream implements Flow.Subscriber<List<ByteBuffer>> {
    private final SseEventSplitter splitter = new SseEventSplitter(this::onData, keepAlives::increment);
    private boolean ended;
    private boolean cancelled;
    private Flow.Subscription subscription;

    @Override
    public void onSubscribe(Flow.Subscription s) {
      subscription = s;
      openStreams.add(this);
      s.request(Long.MAX_VALUE);
    }

    synchronized void cancel() {
      cancelled = true;
      subscription.cancel();
    }

    @Override
    public synchronized void onNext(List<ByteBuffer> buffers) {
      buffers.forEach(splitter::feed);
    }

    private void onData(String data) {
      if (ended) {
        return;
      }
      if (data.equals("[DONE]")) {
        ended = true;
        answered.incrementAndGet();
      } else if (data.startsWith("{\"error\"")) {
        ended = true;
        fail("in-stream error");
      }
    }

    @Override
    public synchronized void onError(Throwable e) {
      if (!ended && !cancelled) {
        ended = true;
        fail("stream broke: " + e.getClass().getSimpleName());
      }
    }

    @Override
    public synchronized void onComplete() {
      if (!ended && !cancelled) {
        ended = true;
        fail("ended without [DONE]");
      }
    }
  }
}
