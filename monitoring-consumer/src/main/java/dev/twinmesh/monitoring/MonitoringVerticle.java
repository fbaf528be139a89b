package dev.twinmesh.monitoring;

import dev.twinmesh.common.ApiException;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.http.HttpServer;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.kafka.client.common.TopicPartition;
import io.vertx.kafka.client.consumer.KafkaConsumer;
import io.vertx.kafka.client.consumer.KafkaConsumerRecords;
import io.vertx.kafka.client.consumer.OffsetAndMetadata;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Timer;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.vertx.ext.web.handler.StaticHandler;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reads {@code twin.traces.v1} as a consumer group, stores every trace in PostgreSQL, and serves them:
 * <ul>
 *   <li>{@code GET /api/traces}: {@code {"object": "list", "data": [record, ...]}}, newest first (by the
 *       gateway's receive time); {@code limit} (default 50, larger than 500 is lowered to 500),
 *       {@code author}, {@code model} and {@code status} (exact matches).
 *   <li>{@code GET /api/traces/{id}}: the stored record, exactly the JSON the gateway produced; 404 with
 *       OpenAI's error body when there is none.
 *   <li>{@code GET /health}: {@code {"status": "ok", "stored_traces", "dead_letters"}}, or 503 with
 *       {@code "unavailable"} when PostgreSQL does not answer.
 *   <li>{@code GET /api/stats}: per time bucket, requests per minute, error rate, p50/p95 time to first
 *       token and latency, decode tokens/s; same filters as the list, {@code bucket_seconds} (default 60),
 *       the last hour unless {@code from}/{@code to} say otherwise.
 *   <li>{@code GET /metrics}: its own Prometheus metrics: consumer lag, records consumed, store latency.
 *   <li>{@code GET /}: the dashboard (trace list with filters, trace page, charts over time).
 * </ul>
 * The list also filters by time range ({@code from}, {@code to}), {@code min_latency_ms} and text
 * ({@code q}) in prompt, messages and answer.
 *
 * <p>Delivery is at least once and storage is idempotent: a batch is written (upsert by trace id) before
 * its offsets are committed, so a crash or rebalance redelivers and the upsert absorbs the repeat. A record
 * that is not a trace goes to dead_letters and is committed past, so it cannot hold up its partition.
 */
public final class MonitoringVerticle extends VerticleBase {
  private static final Logger LOG = LoggerFactory.getLogger(MonitoringVerticle.class);
  private static final Duration POLL_TIMEOUT = Duration.ofMillis(500);
  /** A store that cannot be written is usually down for a while; retry at a calm pace. */
  private static final long RETRY_DELAY_MS = 1_000;
  private static final long LAG_INTERVAL_MS = 5_000;
  private static final long CLOSE_TIMEOUT_MS = 5_000;
  private static final int MAX_BUCKETS = 500;

  private final MonitoringConfig config;
  private final AtomicLong storedTraces = new AtomicLong();
  private final AtomicLong deadLetters = new AtomicLong();
  private TraceStore store;
  private KafkaConsumer<String, byte[]> consumer;
  private HttpServer server;
  private volatile boolean stopping;
  private final PrometheusMeterRegistry metrics = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
  private final AtomicLong consumerLag = new AtomicLong();
  private final Counter recordsConsumed = Counter.builder("twin_monitoring_records")
      .description("Trace records read from Kafka (rate() gives records/s)").register(metrics);
  private final Timer storeLatency = Timer.builder("twin_monitoring_store_latency")
      .description("Time to write one consumed batch to PostgreSQL").publishPercentileHistogram().register(metrics);
  private long lagTimer = -1;
  // Event-loop state of the pipelined poll -> write -> commit loop.
  private static final int MAX_BATCHES_IN_FLIGHT = 4;
  private boolean polling;
  private boolean rewinding;
  private int batchesInFlight;
  private Future<Void> lastCommit = Future.succeededFuture();
  private final List<IncomingTrace> notStored = new ArrayList<>();

  public MonitoringVerticle(MonitoringConfig config) {
    this.config = config;
  }

  /** The port the HTTP server listens on (useful with {@code httpPort} 0); -1 before start. */
  public int actualHttpPort() {
    return server == null ? -1 : server.actualPort();
  }

  @Override
  public Future<?> start() {
    store = TraceStore.connect(vertx, config);
    return store.migrate()
        .compose(v -> startHttp())
        .compose(v -> startConsumer())
        .onSuccess(v -> LOG.info("Monitoring consumer started: {}, HTTP on {}", config, actualHttpPort()))
        // Vert.x does not call stop() after a failed start: release what was opened before the failure.
        .recover(failure -> stop().transform(ignored -> Future.failedFuture(failure)));
  }

  @Override
  public Future<Void> stop() {
    stopping = true;
    if (lagTimer >= 0) {
      vertx.cancelTimer(lagTimer);
    }
    Future<Void> consumerClosed = consumer == null ? Future.succeededFuture() : consumer.close();
    // Each part gets a bounded time: a part that does not close must not keep the others (or undeploy) waiting.
    return bounded("Kafka consumer", consumerClosed)
        .eventually(() -> server == null ? Future.succeededFuture() : bounded("HTTP server", server.close()))
        .eventually(() -> bounded("trace store", store.close()));
  }

  private static Future<Void> bounded(String part, Future<Void> closing) {
    return closing.timeout(CLOSE_TIMEOUT_MS, TimeUnit.MILLISECONDS).recover(e -> {
      LOG.warn("The {} did not close cleanly: {}", part, e.toString());
      return Future.succeededFuture();
    });
  }

  private Future<Void> startHttp() {
    Router router = Router.router(vertx);
    router.get("/api/traces").handler(this::handleList);
    router.get("/api/traces/:id").handler(this::handleGet);
    router.get("/api/stats").handler(this::handleStats);
    router.get("/health").handler(this::handleHealth);
    router.get("/metrics").handler(this::handleMetrics);
    registerGauges();
    router.route("/api/*").handler(ctx -> ctx.fail(ApiException.notFound("No such endpoint: " + ctx.request().path())));
    router.get("/*").handler(StaticHandler.create("dashboard").setCachingEnabled(false));
    router.route().failureHandler(this::handleFailure);
    return vertx.createHttpServer()
        .requestHandler(router)
        .listen(config.httpPort())
        .onSuccess(s -> server = s)
        .mapEmpty();
  }

  private Future<Void> startConsumer() {
    Map<String, String> props = new HashMap<>();
    props.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, config.kafkaBootstrapServers());
    props.put(ConsumerConfig.GROUP_ID_CONFIG, config.groupId());
    props.put(ConsumerConfig.CLIENT_ID_CONFIG, "twin-monitoring-" + deploymentID());
    // Offsets move only after the batch is in PostgreSQL.
    props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
    // A new group stores the traces already on the topic, not only those that come after it.
    props.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
    // Large batches: one PostgreSQL transaction and one offset commit per batch are the fixed costs.
    props.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, "1000");
    props.put(ConsumerConfig.MAX_PARTITION_FETCH_BYTES_CONFIG, String.valueOf(4 << 20));
    // A consumer whose process froze or whose close never finished keeps heartbeating and holding its
    // partitions until it misses this poll deadline (5 minutes by default): 20 s bounds that stall,
    // far above the time one batch takes to reach PostgreSQL.
    props.put(ConsumerConfig.MAX_POLL_INTERVAL_MS_CONFIG, "20000");
    // Values stay bytes: a value that is not UTF-8 must reach dead_letters as it was, not fail the poll.
    consumer = KafkaConsumer.create(vertx, props, new StringDeserializer(), new ByteArrayDeserializer());
    consumer.exceptionHandler(e -> LOG.warn("Trace consumer error", e));
    return consumer.subscribe(config.topic()).onSuccess(v -> {
      pollNext();
      lagTimer = vertx.setPeriodic(LAG_INTERVAL_MS, t -> updateLag());
    });
  }

  // ---- consuming -------------------------------------------------------------------------------------

  /**
   * Polls while fewer than {@value #MAX_BATCHES_IN_FLIGHT} batches are being written: the next batch is read
   * and parsed while PostgreSQL writes the previous ones (each in its own transaction). Offsets are still
   * committed strictly in batch order and only after the batch's write: a batch commits after its
   * predecessor has committed, and after a failed write no later batch commits at all. Once every batch
   * in flight has ended, the consumer seeks back to the oldest record not known stored and polls again.
   */
  private void pollNext() {
    if (stopping || polling || rewinding || batchesInFlight >= MAX_BATCHES_IN_FLIGHT) {
      return;
    }
    polling = true;
    consumer.poll(POLL_TIMEOUT).onComplete(polled -> {
      polling = false;
      if (polled.failed()) {
        if (!stopping) {
          LOG.warn("Trace poll failed, retrying in {} ms: {}", RETRY_DELAY_MS, polled.cause().toString());
          vertx.setTimer(RETRY_DELAY_MS, id -> pollNext());
        }
        return;
      }
      if (!polled.result().isEmpty()) {
        storeBatch(polled.result());
      }
      pollNext();
    });
  }

  private void storeBatch(KafkaConsumerRecords<String, byte[]> records) {
    List<IncomingTrace> batch = new ArrayList<>(records.size());
    for (ConsumerRecord<String, byte[]> record : records.records()) {
      batch.add(IncomingTrace.classify(record));
    }
    recordsConsumed.increment(batch.size());
    batchesInFlight++;
    long started = System.nanoTime();
    Future<Integer> written = store.write(batch)
        .onSuccess(dead -> storeLatency.record(System.nanoTime() - started, TimeUnit.NANOSECONDS));
    lastCommit = lastCommit
        .compose(previous -> written)
        .compose(dead -> {
          deadLetters.addAndGet(dead);
          storedTraces.addAndGet(batch.size() - dead);
          return commit(batch);
        })
        .onComplete(done -> batchEnded(batch, done.cause()));
  }

  private void batchEnded(List<IncomingTrace> batch, Throwable failure) {
    batchesInFlight--;
    if (stopping) {
      // The consumer is closing: what was not committed is read again by the next owner.
      return;
    }
    if (failure != null) {
      if (!rewinding && !stopping) {
        LOG.warn("Trace batch not stored, retrying in {} ms: {}", RETRY_DELAY_MS, failure.toString());
      }
      rewinding = true;
      notStored.addAll(batch);
    }
    if (rewinding && batchesInFlight == 0) {
      List<IncomingTrace> again = List.copyOf(notStored);
      notStored.clear();
      lastCommit = Future.succeededFuture();
      rewind(again).onComplete(r -> vertx.setTimer(RETRY_DELAY_MS, id -> {
        rewinding = false;
        pollNext();
      }));
      return;
    }
    pollNext();
  }

  /** Commits past the batch. A failed commit (say, a rebalance) only means a redelivery, which the upsert absorbs. */
  private Future<Void> commit(List<IncomingTrace> batch) {
    Map<TopicPartition, OffsetAndMetadata> next = new LinkedHashMap<>();
    for (IncomingTrace incoming : batch) {
      next.merge(new TopicPartition(incoming.topic(), incoming.partition()),
          new OffsetAndMetadata(incoming.offset() + 1, ""),
          (a, b) -> a.getOffset() >= b.getOffset() ? a : b);
    }
    return consumer.commit(next)
        .onFailure(e -> LOG.warn("Offset commit failed; the batch may be redelivered: {}", e.toString()))
        .<Void>mapEmpty()
        .recover(e -> Future.succeededFuture());
  }

  /** Moves each partition back to the batch's first offset so the next poll reads the batch again. */
  private Future<Void> rewind(List<IncomingTrace> batch) {
    Map<TopicPartition, Long> first = new LinkedHashMap<>();
    for (IncomingTrace incoming : batch) {
      first.merge(new TopicPartition(incoming.topic(), incoming.partition()), incoming.offset(), Math::min);
    }
    List<Future<Void>> seeks = new ArrayList<>();
    // A partition revoked meanwhile cannot be sought; its new owner starts from the committed offset anyway.
    first.forEach((partition, offset) -> seeks.add(consumer.seek(partition, offset).recover(e -> Future.succeededFuture())));
    return Future.join(seeks).mapEmpty();
  }

  // ---- HTTP ------------------------------------------------------------------------------------------

  private void handleList(RoutingContext ctx) {
    TraceQuery query = TraceQuery.from(ctx.queryParams());
    store.list(query)
        .onSuccess(records -> sendJson(ctx, 200, new JsonObject().put("object", "list").put("data", records)))
        .onFailure(ctx::fail);
  }

  private void handleGet(RoutingContext ctx) {
    String traceId = ctx.pathParam("id");
    store.find(traceId)
        .onSuccess(record -> {
          if (record == null) {
            ctx.fail(ApiException.notFound("No trace with id '" + traceId + "'"));
          } else {
            sendJson(ctx, 200, record);
          }
        })
        .onFailure(ctx::fail);
  }

  private void handleStats(RoutingContext ctx) {
    TraceQuery asked = TraceQuery.from(ctx.queryParams());
    OffsetDateTime to = asked.to() != null ? asked.to() : OffsetDateTime.now(ZoneOffset.UTC);
    OffsetDateTime from = asked.from() != null ? asked.from() : to.minusHours(1);
    int bucket = bucketSeconds(ctx.queryParams().get("bucket_seconds"), from, to);
    TraceQuery query = new TraceQuery(asked.limit(), asked.author(), asked.model(), asked.status(), from, to,
        asked.minLatencyMs(), asked.text());
    store.stats(query, bucket).onSuccess(buckets -> {
      long requests = 0;
      long errors = 0;
      for (int i = 0; i < buckets.size(); i++) {
        JsonObject b = buckets.getJsonObject(i);
        requests += b.getLong("requests");
        errors += b.getLong("errors");
        b.put("requests_per_minute", b.getLong("requests") * 60.0 / bucket);
        b.put("error_rate", b.getLong("requests") == 0 ? 0.0 : b.getLong("errors") / (double) b.getLong("requests"));
      }
      sendJson(ctx, 200, new JsonObject()
          .put("object", "stats")
          .put("from", from.toInstant().toEpochMilli())
          .put("to", to.toInstant().toEpochMilli())
          .put("bucket_seconds", bucket)
          .put("requests", requests)
          .put("errors", errors)
          .put("buckets", buckets));
    }).onFailure(ctx::fail);
  }

  /** The asked width (default 60 s), widened so the range has at most {@value #MAX_BUCKETS} buckets. */
  private static int bucketSeconds(String value, OffsetDateTime from, OffsetDateTime to) {
    int asked = 60;
    if (value != null && !value.isBlank()) {
      try {
        asked = Integer.parseInt(value.strip());
      } catch (NumberFormatException e) {
        throw ApiException.invalidRequest("bucket_seconds", "bucket_seconds must be an integer, got '" + value + "'");
      }
      if (asked < 1) {
        throw ApiException.invalidRequest("bucket_seconds", "bucket_seconds must be at least 1");
      }
    }
    long rangeSeconds = Math.max(1, Duration.between(from, to).toSeconds());
    return (int) Math.max(asked, (rangeSeconds + MAX_BUCKETS - 1) / MAX_BUCKETS);
  }

  private void handleMetrics(RoutingContext ctx) {
    ctx.response().putHeader("Content-Type", "text/plain; version=0.0.4; charset=utf-8").end(metrics.scrape());
  }

  private void registerGauges() {
    Gauge.builder("twin_monitoring_consumer_lag", consumerLag, AtomicLong::get)
        .description("Trace records on Kafka not yet committed by this consumer's partitions").register(metrics);
    Gauge.builder("twin_monitoring_stored_traces", storedTraces, AtomicLong::get)
        .description("Traces stored since start").register(metrics);
    Gauge.builder("twin_monitoring_dead_letters", deadLetters, AtomicLong::get)
        .description("Records sent to dead_letters since start").register(metrics);
  }

  /** Lag as the group sees it: end offset minus committed offset, over the partitions this consumer owns. */
  private void updateLag() {
    if (stopping) {
      return;
    }
    consumer.assignment().compose(owned -> {
      if (owned.isEmpty()) {
        return Future.succeededFuture(0L);
      }
      return consumer.endOffsets(owned).compose(ends -> {
        List<Future<Long>> lags = new ArrayList<>();
        ends.forEach((partition, end) -> lags.add(consumer.committed(partition)
            .map(c -> Math.max(0, end - (c == null ? 0 : c.getOffset())))));
        return Future.all(lags).map(all -> lags.stream().mapToLong(Future::result).sum());
      });
    }).onSuccess(consumerLag::set);
  }

  private void handleHealth(RoutingContext ctx) {
    store.ping()
        .onSuccess(v -> sendJson(ctx, 200, health("ok")))
        .onFailure(e -> sendJson(ctx, 503, health("unavailable").put("reason", "trace store: " + e.getMessage())));
  }

  private void handleFailure(RoutingContext ctx) {
    Throwable failure = ctx.failure();
    // ctx.fail(status) carries no exception; keep its status and still answer with OpenAI's error body.
    ApiException error = failure != null ? ApiException.from(failure)
        : new ApiException(ctx.statusCode(), ctx.statusCode() < 500 ? "invalid_request_error" : "server_error",
            null, null, "request failed with status " + ctx.statusCode(), null);
    if (error.status() >= 500) {
      LOG.warn("Request {} {} failed", ctx.request().method(), ctx.request().path(), failure);
    }
    sendJson(ctx, error.status(), error.toBody());
  }

  private JsonObject health(String status) {
    return new JsonObject()
        .put("status", status)
        .put("stored_traces", storedTraces.get())
        .put("dead_letters", deadLetters.get());
  }

  private static void sendJson(RoutingContext ctx, int status, JsonObject body) {
    ctx.response()
        .setStatusCode(status)
        .putHeader("Content-Type", "application/json")
        .end(body.encode());
  }
}
