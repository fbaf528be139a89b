package dev.twinmesh.app.bench;

import dev.twinmesh.common.ChatMessage;
import dev.twinmesh.common.Json;
import dev.twinmesh.common.Names;
import dev.twinmesh.common.SamplingParams;
import dev.twinmesh.common.TraceRecord;
import dev.twinmesh.embedded.EmbeddedKafka;
import dev.twinmesh.embedded.EmbeddedPostgresServer;
import dev.twinmesh.gateway.trace.TracePublisher;
import dev.twinmesh.monitoring.MonitoringConfig;
import dev.twinmesh.monitoring.MonitoringVerticle;
import io.vertx.core.Vertx;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * Traces per second through the whole pipeline: the gateway's {@link TracePublisher} -> Kafka -> the
 * monitoring consumer group -> PostgreSQL, on an embedded broker and embedded PostgreSQL in this JVM.
 * The clock starts at the first publish and stops when the last trace is a row in the store.
 */
@Command(name = "traces", mixinStandardHelpOptions = true,
    description = {"Traces/s through producer -> Kafka -> monitoring consumer -> PostgreSQL, all embedded in this JVM.",
        "Prints the publisher's acknowledged rate and the end-to-end stored rate."})
public final class TracesBench implements Callable<Integer> {

  @Option(names = "--count", defaultValue = "20000", description = "Traces to send. Default: ${DEFAULT-VALUE}.")
  int count;

  @Option(names = "--trace-bytes", defaultValue = "4096", description = "Approximate size of one trace's JSON. Default: ${DEFAULT-VALUE}.")
  int traceBytes;

  @Option(names = "--partitions", defaultValue = "3", description = "Partitions of the trace topic. Default: ${DEFAULT-VALUE}.")
  int partitions;

  @Option(names = "--data-dir", description = "Where the embedded Kafka and PostgreSQL live (default: a temporary directory).")
  Path dataDir;

  @Override
  public Integer call() throws Exception {
    Path dir = dataDir != null ? dataDir : Files.createTempDirectory("twin-bench-traces");
    try (EmbeddedKafka kafka = new EmbeddedKafka(); EmbeddedPostgresServer postgres = new EmbeddedPostgresServer()) {
      String bootstrap = kafka.start(dir.resolve("kafka"), 0);
      kafka.createTopics(Map.of(Names.TOPIC_TRACES, partitions));
      postgres.start(dir.resolve("postgres"), 0);
      Vertx vertx = Vertx.vertx();
      try {
        MonitoringVerticle monitor = new MonitoringVerticle(new MonitoringConfig(bootstrap, "bench-" + UUID.randomUUID(),
            Names.TOPIC_TRACES, postgres.host(), postgres.port(), postgres.database(), postgres.user(),
            postgres.password(), 0));
        vertx.deployVerticle(monitor).await(2, TimeUnit.MINUTES);
        warmUp(bootstrap, dir, postgres);
        run(bootstrap, dir, postgres);
        printStoreLatency(monitor.actualHttpPort());
      } finally {
        vertx.close().await(30, TimeUnit.SECONDS);
      }
    }
    return 0;
  }

  private void warmUp(String bootstrap, Path dir, EmbeddedPostgresServer postgres) throws Exception {
    String prefix = "warm-" + UUID.randomUUID().toString().substring(0, 8) + "-";
    try (TracePublisher publisher = publisher(bootstrap, dir, 2_000)) {
      for (int i = 0; i < 2_000; i++) {
        publisher.publish(trace(prefix + i));
      }
      awaitStored(postgres, prefix, 2_000);
    }
  }

  private void run(String bootstrap, Path dir, EmbeddedPostgresServer postgres) throws Exception {
    String prefix = "bench-" + UUID.randomUUID().toString().substring(0, 8) + "-";
    List<TraceRecord> traces = java.util.stream.IntStream.range(0, count).mapToObj(i -> trace(prefix + i)).toList();
    int size = Json.write(traces.get(0)).length();
    try (TracePublisher publisher = publisher(bootstrap, dir, count)) {
      long start = System.nanoTime();
      for (TraceRecord t : traces) {
        publisher.publish(t);
      }
      long handedOver = System.nanoTime();
      while (publisher.publishedCount() < count && publisher.droppedCount() + publisher.failedCount() == 0) {
        Thread.sleep(5);
      }
      long acknowledged = System.nanoTime();
      awaitStored(postgres, prefix, count);
      long stored = System.nanoTime();
      System.out.printf("bench traces: %,d traces of %,d bytes, %d partitions, one consumer, PostgreSQL upsert%n",
          count, size, partitions);
      System.out.printf("  publish() (serving path)     %,10.0f traces/s  (%.1f µs per call)%n",
          count / seconds(start, handedOver), (handedOver - start) / 1e3 / count);
      System.out.printf("  acknowledged by Kafka        %,10.0f traces/s  (%.2f s)%n", count / seconds(start, acknowledged), seconds(start, acknowledged));
      System.out.printf("  stored in PostgreSQL (e2e)   %,10.0f traces/s  (%.2f s, %.1f MB/s)%n",
          count / seconds(start, stored), seconds(start, stored), (double) count * size / 1e6 / seconds(start, stored));
      System.out.printf("  dropped %d, failed %d, spooled %d%n", publisher.droppedCount(), publisher.failedCount(),
          publisher.spooledCount());
    }
  }

  /** The consumer's own view: batches written and the time each took, from its /metrics. */
  private static void printStoreLatency(int port) throws Exception {
    String metrics = java.net.http.HttpClient.newHttpClient().send(
        java.net.http.HttpRequest.newBuilder(java.net.URI.create("http://127.0.0.1:" + port + "/metrics")).build(),
        java.net.http.HttpResponse.BodyHandlers.ofString()).body();
    double count = metric(metrics, "twin_monitoring_store_latency_seconds_count");
    double sum = metric(metrics, "twin_monitoring_store_latency_seconds_sum");
    double records = metric(metrics, "twin_monitoring_records_total");
    System.out.printf("  consumer: %.0f batches, %.0f records per batch, %.1f ms per batch write (incl. warm-up)%n",
        count, records / Math.max(1, count), sum * 1000 / Math.max(1, count));
  }

  private static double metric(String text, String name) {
    for (String line : text.split("\n")) {
      if (line.startsWith(name + " ") || line.startsWith(name + "{")) {
        return Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
      }
    }
    return Double.NaN;
  }

  private static TracePublisher publisher(String bootstrap, Path dir, int capacity) {
    return new TracePublisher(bootstrap, Names.TOPIC_TRACES, TracePublisher.Options.defaults()
        .withQueueCapacity(Math.max(capacity, 1)).withSpoolDir(dir.resolve("spool")));
  }

  private TraceRecord trace(String id) {
    long now = System.currentTimeMillis();
    TraceRecord empty = build(id, now, "");
    int pad = Math.max(0, traceBytes - Json.write(empty).length());
    return build(id, now, "lorem ipsum dolor sit amet ".repeat(pad / 27 + 1).substring(0, pad));
  }

  private static TraceRecord build(String id, long now, String answer) {
    return new TraceRecord(Names.SCHEMA_TRACE, id, new TraceRecord.Times(now - 900, now - 700, now),
        new TraceRecord.Request("chat", "twin", SamplingParams.greedy(256), "bench", true, true),
        "instruction-with-context", Map.of("question", "What do I write about?"),
        new TraceRecord.Retrieval("posts", List.of(new TraceRecord.RetrievedChunk("chunk-1", 0.91, "posts", "blog/1")), 12),
        List.of(ChatMessage.user("### Instruction:\nWhat do I write about?")), null, answer, "stop",
        new TraceRecord.Tokens(120, 80, 256), new TraceRecord.Latencies(3L, 200L, 20.0, 5_300, 12L),
        "worker-0", TraceRecord.STATUS_OK, null);
  }

  private static void awaitStored(EmbeddedPostgresServer postgres, String prefix, long expected) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(10);
    try (Connection c = DriverManager.getConnection(postgres.jdbcUrl());
         PreparedStatement q = c.prepareStatement("SELECT count(*) FROM traces WHERE trace_id LIKE ?")) {
      q.setString(1, prefix + "%");
      while (System.nanoTime() < deadline) {
        try (ResultSet rows = q.executeQuery()) {
          rows.next();
          if (rows.getLong(1) >= expected) {
            return;
          }
        }
        Thread.sleep(20);
      }
    }
    throw new IllegalStateException("not all traces were stored within 10 minutes");
  }

  private static double seconds(long from, long to) {
    return (to - from) / 1e9;
  }
}
