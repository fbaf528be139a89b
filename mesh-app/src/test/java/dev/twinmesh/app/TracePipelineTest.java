package dev.twinmesh.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.twinmesh.common.ChatMessage;
import dev.twinmesh.common.Json;
import dev.twinmesh.common.Names;
import dev.twinmesh.common.SamplingParams;
import dev.twinmesh.common.TraceRecord;
import dev.twinmesh.embedded.EmbeddedPostgresServer;
import dev.twinmesh.gateway.trace.TracePublisher;
import dev.twinmesh.monitoring.MonitoringConfig;
import dev.twinmesh.monitoring.MonitoringVerticle;
import io.vertx.core.Vertx;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The trace pipeline under failure, on a real broker and a real PostgreSQL: gateway publisher -> Kafka ->
 * monitoring consumer group -> trace store. Neither a broker outage nor a consumer killed mid-stream may
 * lose a trace or store one twice.
 */
class TracePipelineTest {
  private static final String ANSWER = "The twin writes about retrieval. ".repeat(100);
  @TempDir static Path dataDir;
  static TestKafka kafka;
  static EmbeddedPostgresServer postgres;
  static Vertx monitorVertx;

  @BeforeAll
  static void start() throws Exception {
    kafka = TestKafka.start(dataDir.resolve("kafka"));
    kafka.createTopics(Map.of(Names.TOPIC_TRACES, 3));
    postgres = new EmbeddedPostgresServer();
    postgres.start(dataDir.resolve("postgres"), 0);
    monitorVertx = startMonitor();
  }

  @AfterAll
  static void stop() throws Exception {
    if (monitorVertx != null) {
      monitorVertx.close().await(30, TimeUnit.SECONDS);
    }
    if (kafka != null) {
      kafka.close();
    }
    if (postgres != null) {
      postgres.close();
    }
  }

  @Test
  void thousandTracesSurviveABrokerOutageMidWayEachStoredOnce() throws Exception {
    TracePublisher.Options options = TracePublisher.Options.defaults()
        .withSpoolDir(dataDir.resolve("spool"))
        .withTimeouts(Duration.ofSeconds(1), Duration.ofSeconds(3));
    try (TracePublisher publisher = new TracePublisher(kafka.bootstrapServers(), Names.TOPIC_TRACES, options)) {
      for (int i = 0; i < 500; i++) {
        publisher.publish(trace("outage-" + i));
      }
      awaitStored("outage-%", 500, Duration.ofSeconds(30));

      kafka.outage();
      long started = System.nanoTime();
      for (int i = 500; i < 1000; i++) {
        publisher.publish(trace("outage-" + i));
      }
      long publishMs = (System.nanoTime() - started) / 1_000_000;
      // Longer than the delivery timeout: what the producer held is now on disk.
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
      while (publisher.spoolSize() < 500 && System.nanoTime() < deadline) {
        Thread.sleep(100);
      }
      int spooledDuringOutage = publisher.spoolSize();
      kafka.recover();

      awaitStored("outage-%", 1000, Duration.ofSeconds(90));
      assertEquals(1000, count("SELECT count(DISTINCT trace_id) FROM traces WHERE trace_id LIKE 'outage-%'"));
      assertEquals(0, publisher.droppedCount(), "nothing dropped");
      assertEquals(0, publisher.failedCount(), "nothing failed");
      assertEquals(500, spooledDuringOutage, "every trace of the outage waited on disk");
      assertTrue(publishMs < 1_000, "publishing never waits on Kafka: 500 took " + publishMs + " ms");
      long deadline2 = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
      while (publisher.spoolSize() > 0 && System.nanoTime() < deadline2) {
        Thread.sleep(100);
      }
      assertEquals(0, publisher.spoolSize(), "the spool drained");
      System.out.printf("broker outage: %d traces spooled to disk, %d published, 1000 stored once each%n",
          publisher.spooledCount(), publisher.publishedCount());
    }
  }

  @Test
  void consumerKilledAndRestartedMidStreamLosesAndDuplicatesNothing() throws Exception {
    int total = 4000;
    Properties p = new Properties();
    p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers());
    p.put(ProducerConfig.ACKS_CONFIG, "all");
    p.put(ProducerConfig.LINGER_MS_CONFIG, 5);
    // Traces keep arriving before, during and after the kill.
    Thread stream = new Thread(() -> {
      try (KafkaProducer<String, byte[]> producer = new KafkaProducer<>(p, new StringSerializer(), new ByteArraySerializer())) {
        for (int i = 0; i < total; i++) {
          TraceRecord t = trace("kill-" + i);
          producer.send(new ProducerRecord<>(Names.TOPIC_TRACES, t.traceId(), Json.write(t).getBytes(StandardCharsets.UTF_8)));
          if (i % 100 == 99) {
            producer.flush();
            Thread.sleep(25);
          }
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }, "trace-stream");
    stream.start();
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    while (count("SELECT count(*) FROM traces WHERE trace_id LIKE 'kill-%'") < total / 5) {
      assertTrue(System.nanoTime() < deadline, "the consumer stores traces");
      Thread.sleep(10);
    }
    // The whole Vert.x instance goes, as with a killed process: batches may be mid-write, uncommitted.
    monitorVertx.close().await(30, TimeUnit.SECONDS);
    long storedAtKill = count("SELECT count(*) FROM traces WHERE trace_id LIKE 'kill-%'");
    monitorVertx = startMonitor();
    assertTrue(storedAtKill < total, "killed mid-stream: " + storedAtKill + " of " + total);

    stream.join(120_000);
    awaitStored("kill-%", total, Duration.ofSeconds(90));
    assertEquals(total, count("SELECT count(DISTINCT trace_id) FROM traces WHERE trace_id LIKE 'kill-%'"));
    assertEquals(0, count("SELECT count(*) FROM dead_letters"));
    System.out.printf("consumer killed after %d of %d traces; all %d stored once after the restart%n",
        storedAtKill, total, total);
  }

  private static Vertx startMonitor() throws Exception {
    Vertx vertx = Vertx.vertx();
    MonitoringConfig config = new MonitoringConfig(kafka.bootstrapServers(), "pipeline-test", Names.TOPIC_TRACES,
        postgres.host(), postgres.port(), postgres.database(), postgres.user(), postgres.password(), 0);
    vertx.deployVerticle(new MonitoringVerticle(config)).await(60, TimeUnit.SECONDS);
    return vertx;
  }

  static TraceRecord trace(String id) {
    long now = System.currentTimeMillis();
    return new TraceRecord(Names.SCHEMA_TRACE, id, new TraceRecord.Times(now - 900, now - 700, now),
        new TraceRecord.Request("chat", "twin", SamplingParams.greedy(64), "alice", true, true),
        "alpaca_rag", Map.of("question", "What do I write about?"),
        new TraceRecord.Retrieval("posts", List.of(new TraceRecord.RetrievedChunk("chunk-1", 0.91, "posts", "blog/1")), 12),
        List.of(ChatMessage.user("What do I write about?")), null, ANSWER, "stop",
        new TraceRecord.Tokens(12, 4, 700), new TraceRecord.Latencies(3L, 200L, 1.0, 900, 12L),
        "worker-0", TraceRecord.STATUS_OK, null);
  }

  private static void awaitStored(String pattern, long expected, Duration timeout) throws Exception {
    long deadline = System.nanoTime() + timeout.toNanos();
    long stored;
    while ((stored = count("SELECT count(*) FROM traces WHERE trace_id LIKE '" + pattern + "'")) < expected) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError(stored + " of " + expected + " traces stored after " + timeout);
      }
      Thread.sleep(100);
    }
  }

  private static long count(String sql) throws Exception {
    try (Connection c = DriverManager.getConnection(postgres.jdbcUrl()); ResultSet rows = c.createStatement().executeQuery(sql)) {
      rows.next();
      return rows.getLong(1);
    }
  }
}
