package dev.twinmesh.monitoring;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.twinmesh.common.ChatMessage;
import dev.twinmesh.common.Json;
import dev.twinmesh.common.Names;
import dev.twinmesh.common.SamplingParams;
import dev.twinmesh.common.TraceRecord;
import dev.twinmesh.embedded.EmbeddedKafka;
import dev.twinmesh.embedded.EmbeddedPostgresServer;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.client.WebClient;
import io.vertx.junit5.VertxExtension;
import io.vertx.junit5.VertxTestContext;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import java.util.function.LongPredicate;
import java.util.function.Predicate;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

@ExtendWith(VertxExtension.class)
class MonitoringVerticleTest {
  private static final Duration PATIENCE = Duration.ofSeconds(20);
  @TempDir static Path dataDir;
  private static EmbeddedKafka kafka;
  private static EmbeddedPostgresServer postgres;
  private static KafkaProducer<String, byte[]> producer;
  private static WebClient http;
  private static int port;
  private static String deploymentId;

  @BeforeAll
  static void startMesh(Vertx vertx, VertxTestContext ctx) {
    kafka = new EmbeddedKafka();
    kafka.start(dataDir.resolve("kafka"), 0);
    kafka.createTopics(Map.of(Names.TOPIC_TRACES, 3));
    postgres = new EmbeddedPostgresServer();
    postgres.start(dataDir.resolve("postgres"), 0);
    producer = new KafkaProducer<>(producerProps(), new StringSerializer(), new ByteArraySerializer());
    http = WebClient.create(vertx);

    MonitoringConfig config = new MonitoringConfig(kafka.bootstrapServers(), "monitoring-test", Names.TOPIC_TRACES,
        postgres.host(), postgres.port(), postgres.database(), postgres.user(), postgres.password(), 0);
    MonitoringVerticle verticle = new MonitoringVerticle(config);
    vertx.deployVerticle(verticle).onComplete(ctx.succeeding(id -> {
      deploymentId = id;
      port = verticle.actualHttpPort();
      ctx.completeNow();
    }));
  }

  @AfterAll
  static void stopMesh(Vertx vertx) throws Exception {
    // The consumer goes first, so it does not watch the broker disappear.
    if (deploymentId != null) {
      await(vertx.undeploy(deploymentId));
    }
    if (producer != null) {
      producer.close();
    }
    if (kafka != null) {
      kafka.close();
    }
    if (postgres != null) {
      postgres.close();
    }
  }

  @Test
  void producedTraceIsServedWithPromptAnswerAndTokens() throws Exception {
    TraceRecord trace = trace("served-1", "alice", "twin-llama", TraceRecord.STATUS_OK, 1_000, "the answer");
    send(trace.traceId(), Json.write(trace));

    JsonObject stored = awaitTrace("served-1", body -> true);
    assertEquals(Names.SCHEMA_TRACE, stored.getString("schema"));
    assertEquals("### Instruction:\nWhat do I write about?", stored.getString("prompt"));
    assertEquals("the answer", stored.getString("answer"));
    assertEquals(new JsonObject().put("prompt", 12).put("context", 4).put("answer", 7), stored.getJsonObject("tokens"));
    assertEquals("alice", stored.getJsonObject("request").getString("author"));

    JsonArray listed = list("").getJsonArray("data");
    assertTrue(listed.stream().anyMatch(r -> "served-1".equals(((JsonObject) r).getString("trace_id"))));
  }

  @Test
  void sameTraceIdTwiceIsStoredOnceWithTheLatestRecord() throws Exception {
    send("twice-1", Json.write(trace("twice-1", "twice-author", "twin-llama", "ok", 2_000, "first answer")));
    send("twice-1", Json.write(trace("twice-1", "twice-author", "twin-llama", "ok", 2_000, "second answer")));

    awaitTrace("twice-1", body -> "second answer".equals(body.getString("answer")));
    assertEquals(1, countRows("SELECT count(*) FROM traces WHERE trace_id = ?", "twice-1"));
    assertEquals(1, list("?author=twice-author").getJsonArray("data").size());
  }

  @Test
  void malformedRecordGoesToDeadLettersAndLaterRecordsFlow() throws Exception {
    // Same partition for both, so the good record really comes after the bad one.
    producer.send(new ProducerRecord<>(Names.TOPIC_TRACES, 0, "broken-1", "{not json".getBytes(StandardCharsets.UTF_8))).get();
    producer.send(new ProducerRecord<>(Names.TOPIC_TRACES, 0, "wrong-schema",
        "{\"schema\":\"twin.trace.v9\",\"trace_id\":\"wrong-schema\"}".getBytes(StandardCharsets.UTF_8))).get();
    TraceRecord after = trace("after-broken", "bob", "twin-llama", "ok", 3_000, "still flowing");
    producer.send(new ProducerRecord<>(Names.TOPIC_TRACES, 0, after.traceId(), Json.write(after).getBytes(StandardCharsets.UTF_8))).get();

    awaitTrace("after-broken", body -> true);
    try (Connection c = DriverManager.getConnection(postgres.jdbcUrl());
        PreparedStatement q = c.prepareStatement("SELECT reason, convert_from(raw_value, 'UTF8'), topic, kafka_partition "
            + "FROM dead_letters WHERE record_key = ?")) {
      q.setString(1, "broken-1");
      try (ResultSet rows = q.executeQuery()) {
        assertTrue(rows.next(), "dead letter for broken-1");
        assertTrue(rows.getString(1).contains("cannot parse TraceRecord"), rows.getString(1));
        assertEquals("{not json", rows.getString(2));
        assertEquals(Names.TOPIC_TRACES, rows.getString(3));
        assertEquals(0, rows.getInt(4));
      }
      q.setString(1, "wrong-schema");
      try (ResultSet rows = q.executeQuery()) {
        assertTrue(rows.next(), "dead letter for wrong-schema");
        assertTrue(rows.getString(1).contains("unsupported schema"), rows.getString(1));
      }
    }
    assertEquals(0, countRows("SELECT count(*) FROM traces WHERE trace_id = ?", "wrong-schema"));
  }

  @Test
  void valueThePostgresCannotHoldIsDeadLetteredWithoutBlocking() throws Exception {
    // Valid JSON, but jsonb and text refuse the NUL character: the store must not retry it forever.
    TraceRecord nul = trace("nul-1", "carol", "twin-llama", "ok", 4_000, "bad \u0000 byte");
    TraceRecord next = trace("after-nul", "carol", "twin-llama", "ok", 4_001, "fine");
    producer.send(new ProducerRecord<>(Names.TOPIC_TRACES, 1, nul.traceId(), Json.write(nul).getBytes(StandardCharsets.UTF_8))).get();
    producer.send(new ProducerRecord<>(Names.TOPIC_TRACES, 1, next.traceId(), Json.write(next).getBytes(StandardCharsets.UTF_8))).get();

    awaitTrace("after-nul", body -> true);
    assertEquals(0, countRows("SELECT count(*) FROM traces WHERE trace_id = ?", "nul-1"));
    assertEquals(1, countRows("SELECT count(*) FROM dead_letters WHERE record_key = ?", "nul-1"));
  }

  @Test
  void unknownTraceIdAnswers404WithOpenAiErrorBody() throws Exception {
    HttpResponse<Buffer> response = get("/api/traces/no-such-trace");
    assertEquals(404, response.statusCode());
    JsonObject error = response.bodyAsJsonObject().getJsonObject("error");
    assertEquals("invalid_request_error", error.getString("type"));
    assertEquals("not_found", error.getString("code"));
    assertTrue(error.getString("message").contains("no-such-trace"));
    assertTrue(error.containsKey("param"));

    HttpResponse<Buffer> noRoute = get("/api/nothing-here");
    assertEquals(404, noRoute.statusCode());
    assertEquals("not_found", noRoute.bodyAsJsonObject().getJsonObject("error").getString("code"));
  }

  @Test
  void filtersAndLimitSelectNewestMatchingTraces() throws Exception {
    send("filter-1", Json.write(trace("filter-1", "dora", "twin-llama", "ok", 10_000, "a")));
    send("filter-2", Json.write(trace("filter-2", "dora", "twin-mistral", "ok", 20_000, "b")));
    send("filter-3", Json.write(trace("filter-3", "dora", "twin-llama", TraceRecord.STATUS_FAILED, 30_000, "c")));
    send("filter-4", Json.write(trace("filter-4", "erin", "twin-llama", "ok", 40_000, "d")));
    awaitTrace("filter-4", body -> true);
    awaitTrace("filter-1", body -> true);
    awaitTrace("filter-2", body -> true);
    awaitTrace("filter-3", body -> true);

    assertEquals(List.of("filter-3", "filter-2", "filter-1"), ids(list("?author=dora")));
    assertEquals(List.of("filter-3", "filter-1"), ids(list("?author=dora&model=twin-llama")));
    assertEquals(List.of("filter-3"), ids(list("?author=dora&status=failed")));
    assertEquals(List.of("filter-3"), ids(list("?author=dora&limit=1")));
    assertEquals(List.of("filter-4"), ids(list("?author=erin&model=twin-llama&status=ok")));

    HttpResponse<Buffer> bad = get("/api/traces?limit=lots");
    assertEquals(400, bad.statusCode());
    assertEquals("limit", bad.bodyAsJsonObject().getJsonObject("error").getString("param"));
  }

  @Test
  void offsetsAreCommittedOnlyOnceTheStoreHasTheTrace() throws Exception {
    TopicPartition partition = new TopicPartition(Names.TOPIC_TRACES, 2);
    sendTo(2, trace("before-outage", "frank", "twin-llama", "ok", 5_000, "stored"));
    awaitTrace("before-outage", body -> true);
    long end = endOffset(partition);
    long committed = awaitCommitted(partition, offset -> offset == end);

    int pgPort = postgres.port();
    postgres.close();
    try {
      sendTo(2, trace("during-outage", "frank", "twin-llama", "ok", 5_001, "waited"));
      Thread.sleep(2_000);
      assertEquals(committed, committedOffset(partition), "nothing committed while the store is down");
      assertEquals(503, get("/health").statusCode());
    } finally {
      postgres = new EmbeddedPostgresServer();
      postgres.start(dataDir.resolve("postgres"), pgPort);
    }

    awaitTrace("during-outage", body -> "waited".equals(body.getString("answer")));
    awaitCommitted(partition, offset -> offset == committed + 1);
  }

  @Test
  void healthReportsTheStoreReachable() throws Exception {
    HttpResponse<Buffer> response = get("/health");
    assertEquals(200, response.statusCode());
    assertEquals("ok", response.bodyAsJsonObject().getString("status"));
  }

  // ---- helpers ---------------------------------------------------------------------------------------

  private static TraceRecord trace(String id, String author, String model, String status, long receivedOffsetMs,
      String answer) {
    long receivedAt = 1_700_000_000_000L + receivedOffsetMs;
    return new TraceRecord(Names.SCHEMA_TRACE, id,
        new TraceRecord.Times(receivedAt, receivedAt + 200, receivedAt + 900),
        new TraceRecord.Request("chat", model, SamplingParams.greedy(64), author, true, false),
        "alpaca_rag", Map.of("question", "What do I write about?"),
        new TraceRecord.Retrieval("posts", List.of(new TraceRecord.RetrievedChunk("chunk-1", 0.91, "posts", "blog/1")), 12),
        List.of(ChatMessage.user("What do I write about?")),
        "### Instruction:\nWhat do I write about?", answer, "stop",
        new TraceRecord.Tokens(12, 4, 7),
        new TraceRecord.Latencies(3L, 200L, 15.5, 900, 12L),
        "worker-0", status, null);
  }

  private static void sendTo(int partition, TraceRecord trace) throws Exception {
    producer.send(new ProducerRecord<>(Names.TOPIC_TRACES, partition, trace.traceId(),
        Json.write(trace).getBytes(StandardCharsets.UTF_8))).get();
  }

  private static long endOffset(TopicPartition partition) throws Exception {
    try (Admin admin = Admin.create(Map.of("bootstrap.servers", kafka.bootstrapServers()))) {
      return admin.listOffsets(Map.of(partition, OffsetSpec.latest())).partitionResult(partition).get().offset();
    }
  }

  private static long committedOffset(TopicPartition partition) throws Exception {
    try (Admin admin = Admin.create(Map.of("bootstrap.servers", kafka.bootstrapServers()))) {
      var offset = admin.listConsumerGroupOffsets("monitoring-test").partitionsToOffsetAndMetadata().get().get(partition);
      return offset == null ? -1 : offset.offset();
    }
  }

  private static long awaitCommitted(TopicPartition partition, LongPredicate expected) throws Exception {
    long deadline = System.nanoTime() + PATIENCE.toNanos();
    long offset = committedOffset(partition);
    while (!expected.test(offset)) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("committed offset of " + partition + " stuck at " + offset);
      }
      Thread.sleep(100);
      offset = committedOffset(partition);
    }
    return offset;
  }

  private static void send(String key, String value) throws Exception {
    producer.send(new ProducerRecord<>(Names.TOPIC_TRACES, key, value.getBytes(StandardCharsets.UTF_8))).get();
  }

  /** Polls GET /api/traces/{id} until it answers 200 with a body the predicate accepts. */
  private static JsonObject awaitTrace(String id, Predicate<JsonObject> accepted) throws Exception {
    long deadline = System.nanoTime() + PATIENCE.toNanos();
    while (true) {
      HttpResponse<Buffer> response = get("/api/traces/" + id);
      if (response.statusCode() == 200 && accepted.test(response.bodyAsJsonObject())) {
        return response.bodyAsJsonObject();
      }
      if (System.nanoTime() > deadline) {
        throw new AssertionError("trace " + id + " not served in time; last answer " + response.statusCode()
            + " " + response.bodyAsString());
      }
      Thread.sleep(100);
    }
  }

  private static JsonObject list(String query) throws Exception {
    HttpResponse<Buffer> response = get("/api/traces" + query);
    assertEquals(200, response.statusCode(), response.bodyAsString());
    JsonObject body = response.bodyAsJsonObject();
    assertEquals("list", body.getString("object"));
    assertNotNull(body.getJsonArray("data"));
    return body;
  }

  private static List<String> ids(JsonObject list) {
    return list.getJsonArray("data").stream().map(r -> ((JsonObject) r).getString("trace_id")).toList();
  }

  private static HttpResponse<Buffer> get(String path) throws Exception {
    return await(http.get(port, "localhost", path).send());
  }

  private static <T> T await(Future<T> future) throws Exception {
    return future.toCompletionStage().toCompletableFuture().get(PATIENCE.toSeconds(), TimeUnit.SECONDS);
  }

  private static long countRows(String sql, String param) throws Exception {
    try (Connection c = DriverManager.getConnection(postgres.jdbcUrl()); PreparedStatement q = c.prepareStatement(sql)) {
      q.setString(1, param);
      try (ResultSet rows = q.executeQuery()) {
        assertTrue(rows.next());
        assertFalse(rows.wasNull());
        return rows.getLong(1);
      }
    }
  }

  private static Properties producerProps() {
    Properties p = new Properties();
    p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers());
    p.put(ProducerConfig.ACKS_CONFIG, "all");
    return p;
  }
}
