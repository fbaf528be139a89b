package dev.twinmesh.gateway.trace;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.twinmesh.common.ChatMessage;
import dev.twinmesh.common.Json;
import dev.twinmesh.common.Names;
import dev.twinmesh.common.SamplingParams;
import dev.twinmesh.common.TraceRecord;
import dev.twinmesh.embedded.EmbeddedKafka;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TracePublisherTest {
  private static final int PARTITIONS = 3;
  @TempDir static Path dataDir;
  private static EmbeddedKafka kafka;

  @BeforeAll
  static void startBroker() {
    kafka = new EmbeddedKafka();
    kafka.start(dataDir, 0);
    kafka.createTopics(Map.of(Names.TOPIC_TRACES, PARTITIONS));
  }

  @AfterAll
  static void stopBroker() {
    kafka.close();
  }

  @Test
  void publishedTracesArriveKeyedByTraceIdWithSchema() {
    int count = 25;
    try (TracePublisher publisher = new TracePublisher(kafka.bootstrapServers())) {
      for (int i = 0; i < count; i++) {
        // Half of them come without a schema tag: the publisher adds it.
        publisher.publish(trace("pub-" + i, i % 2 == 0 ? null : Names.SCHEMA_TRACE));
      }
      publisher.close();
      assertEquals(count, publisher.publishedCount());
      assertEquals(0, publisher.failedCount());
    }

    Map<String, TraceRecord> byKey = readTraces(count);
    assertEquals(count, byKey.size());
    byKey.forEach((key, trace) -> {
      assertEquals(key, trace.traceId());
      assertEquals(Names.SCHEMA_TRACE, trace.schema());
      assertEquals("answer of " + key, trace.answer());
      assertEquals(new TraceRecord.Tokens(12, 4, 7), trace.tokens());
    });
  }

  @Test
  void publishReturnsAtOnceWhenNoBrokerAnswers() {
    int deadPort = unusedPort();
    // No broker there: each send waits out max.block.ms (1 s) on the publisher thread, never on ours,
    // so a single blocking publish would take longer than all 200 are allowed to.
    try (TracePublisher publisher =
        new TracePublisher("127.0.0.1:" + deadPort, Names.TOPIC_TRACES, 2, Duration.ofSeconds(1))) {
      long started = System.nanoTime();
      for (int i = 0; i < 200; i++) {
        publisher.publish(trace("lost-" + i, null));
      }
      long tookMs = (System.nanoTime() - started) / 1_000_000;
      assertTrue(tookMs < 500, "200 publishes took " + tookMs + " ms");
      assertTrue(publisher.droppedCount() > 0, "a full queue drops traces");
      assertEquals(0, publisher.publishedCount());
    }
  }

  @Test
  void sampledOutSuccessesAreCountedAndFailuresAreAlwaysTraced() {
    TracePublisher.Options options = TracePublisher.Options.defaults().withSampleRate(0.0);
    try (TracePublisher publisher = new TracePublisher(kafka.bootstrapServers(), Names.TOPIC_TRACES, options)) {
      for (int i = 0; i < 20; i++) {
        publisher.publish(trace("sampled-" + i, Names.SCHEMA_TRACE));
      }
      TraceRecord ok = trace("sampled-failed", Names.SCHEMA_TRACE);
      publisher.publish(new TraceRecord(ok.schema(), ok.traceId(), ok.times(), ok.request(), ok.promptTemplate(),
          ok.templateVariables(), ok.retrieval(), ok.messages(), ok.prompt(), ok.answer(), ok.finishReason(),
          ok.tokens(), ok.latencies(), ok.workerId(), TraceRecord.STATUS_FAILED,
          new TraceRecord.Error(502, "server_error", "worker went away")));
      publisher.close();
      assertEquals(20, publisher.sampledOutCount());
      assertEquals(1, publisher.publishedCount());
    }
  }

  @Test
  void aFullSpoolDropsTheOldestAndCountsThem() throws Exception {
    TracePublisher.Options options = TracePublisher.Options.defaults()
        .withSpoolDir(dataDir.resolve("small-spool")).withSpoolBounds(10, 1 << 20)
        .withTimeouts(Duration.ofMillis(300), Duration.ofSeconds(1));
    try (TracePublisher publisher = new TracePublisher("127.0.0.1:" + unusedPort(), Names.TOPIC_TRACES, options)) {
      for (int i = 0; i < 50; i++) {
        publisher.publish(trace("overflow-" + i, null));
      }
      long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
      while (publisher.spoolDroppedCount() < 40 && System.nanoTime() < deadline) {
        Thread.sleep(50);
      }
      assertEquals(10, publisher.spoolSize(), "the spool keeps its bound");
      assertEquals(40, publisher.spoolDroppedCount(), "the oldest 40 were dropped, and counted");
      assertEquals(40, publisher.droppedCount(), "spool drops count as drops");
      String metrics = new dev.twinmesh.gateway.metrics.BusinessMetrics().traces(publisher).scrape();
      assertTrue(metrics.contains("twin_traces_spool_dropped_total 40.0"), metrics);
      assertTrue(metrics.contains("twin_traces_spool_size 10.0"), metrics);
    }
  }

  @Test
  void traceWithoutIdIsDroppedNotSent() {
    try (TracePublisher publisher = new TracePublisher(kafka.bootstrapServers())) {
      publisher.publish(trace(null, Names.SCHEMA_TRACE));
      publisher.publish(null);
      assertEquals(2, publisher.droppedCount());
    }
  }

  static TraceRecord trace(String id, String schema) {
    long now = System.currentTimeMillis();
    return new TraceRecord(schema, id,
        new TraceRecord.Times(now - 900, now - 700, now),
        new TraceRecord.Request("chat", "twin-llama", SamplingParams.greedy(64), "alice", true, false),
        "alpaca_rag", Map.of("question", "What do I write about?"),
        new TraceRecord.Retrieval("posts",
            List.of(new TraceRecord.RetrievedChunk("chunk-1", 0.91, "posts", "blog/1")), 12),
        List.of(ChatMessage.user("What do I write about?")),
        "### Instruction:\nWhat do I write about?", "answer of " + id, "stop",
        new TraceRecord.Tokens(12, 4, 7),
        new TraceRecord.Latencies(3L, 200L, 15.5, 900, 12L),
        "worker-0", TraceRecord.STATUS_OK, null);
  }

  private static Map<String, TraceRecord> readTraces(int expected) {
    Properties p = new Properties();
    p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers());
    Map<String, TraceRecord> byKey = new HashMap<>();
    try (var consumer = new KafkaConsumer<>(p, new StringDeserializer(), new StringDeserializer())) {
      List<TopicPartition> partitions = List.of(new TopicPartition(Names.TOPIC_TRACES, 0),
          new TopicPartition(Names.TOPIC_TRACES, 1), new TopicPartition(Names.TOPIC_TRACES, 2));
      consumer.assign(partitions);
      consumer.seekToBeginning(partitions);
      long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
      while (byKey.size() < expected && System.nanoTime() < deadline) {
        consumer.poll(Duration.ofMillis(200))
            .forEach(r -> {
              // Other tests publish to the same topic.
              if (r.key().startsWith("pub-")) {
                byKey.put(r.key(), Json.read(r.value(), TraceRecord.class));
              }
            });
      }
    }
    return byKey;
  }

  private static int unusedPort() {
    try (var socket = new java.net.ServerSocket(0)) {
      return socket.getLocalPort();
    } catch (java.io.IOException e) {
      throw new IllegalStateException(e);
    }
  }
}
