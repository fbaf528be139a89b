package dev.twinmesh.gateway.trace;

import dev.twinmesh.common.Json;
import dev.twinmesh.common.Names;
import dev.twinmesh.common.TraceRecord;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringSerializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Publishes one {@link TraceRecord} per finished generation to {@value Names#TOPIC_TRACES}, keyed by trace
 * id. Traces are observability, not part of the answer: {@link #publish} only enqueues and returns, and a
 * trace that cannot be sent is kept on disk or, as a last resort, dropped and counted; never reported to
 * the client.
 *
 * <p>Why kafka-clients' producer on a thread of its own rather than vertx-kafka-client: the producer
 * already batches and sends on its own I/O thread, and we never need the outcome on the event loop. What
 * the producer does not promise is that {@code send} returns at once: it blocks for up to
 * {@code max.block.ms} while it fetches topic metadata (the first trace, a broker that is down) or while
 * its buffer is full. A bounded queue in front of one publisher thread keeps that wait off the serving
 * path; when the queue is full, traces are dropped and counted.
 *
 * <p>While Kafka is unreachable, traces go to a {@link TraceSpool} on disk: those whose delivery timed out
 * in the producer, and every new one until Kafka answers again. The publisher thread probes with the
 * oldest spooled trace; once one is acknowledged the spool drains in batches. Delivery is at least once:
 * a trace whose acknowledgement was lost may be sent twice, and the consumer upserts by trace id.
 */
public final class TracePublisher implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(TracePublisher.class);
  private static final Duration CLOSE_TIMEOUT = Duration.ofSeconds(10);
  private static final long DRAIN_INTERVAL_MS = 200;
  /** How long a trace may wait in memory before the publisher thread hands it to the producer. */
  private static final long BATCH_INTERVAL_MS = 50;
  /**
   * While Kafka is down a probe can block the publisher thread for max.block.ms (no metadata); between
   * probes the thread moves everything queued to the spool at disk speed.
   */
  private static final long PROBE_INTERVAL_MS = 1_000;
  private static final int DRAIN_BATCH = 1_000;
  /** Marks the end of the queue for the publisher thread. */
  private static final TraceRecord END = new TraceRecord(null, null, null, null, null, null, null, null,
      null, null, null, null, null, null, null, null);

  /**
   * How the publisher behaves.
   *
   * @param queueCapacity   traces waiting in memory for the publisher thread; past it they are dropped
   * @param spoolDir        where traces wait while Kafka is away; null for a fresh temporary directory
   * @param spoolMaxRecords the spool's bound in traces; the oldest go first
   * @param spoolMaxBytes   the spool's bound in bytes
   * @param sampleRate      the share of successful generations traced, 0 to 1; failed and cancelled ones
   *                        are always traced
   * @param maxBlock        the longest the publisher thread waits in {@code send} (metadata, full buffer)
   * @param deliveryTimeout how long the producer retries a trace before it goes to the spool
   */
  public record Options(int queueCapacity, Path spoolDir, int spoolMaxRecords, long spoolMaxBytes,
                        double sampleRate, Duration maxBlock, Duration deliveryTimeout) {
    public Options {
      if (queueCapacity < 1) {
        throw new IllegalArgumentException("queueCapacity must be at least 1, got " + queueCapacity);
      }
      if (!(sampleRate >= 0 && sampleRate <= 1)) {
        throw new IllegalArgumentException("the trace sample rate must be between 0 and 1, got " + sampleRate);
      }
      maxBlock = maxBlock == null ? Duration.ofSeconds(5) : maxBlock;
      deliveryTimeout = deliveryTimeout == null ? Duration.ofSeconds(15) : deliveryTimeout;
    }

    public static Options defaults() {
      return new Options(10_000, null, 100_000, 512L << 20, 1.0, null, null);
    }

    public Options withSpoolDir(Path dir) {
      return new Options(queueCapacity, dir, spoolMaxRecords, spoolMaxBytes, sampleRate, maxBlock, deliveryTimeout);
    }

    public Options withSampleRate(double rate) {
      return new Options(queueCapacity, spoolDir, spoolMaxRecords, spoolMaxBytes, rate, maxBlock, deliveryTimeout);
    }

    public Options withQueueCapacity(int capacity) {
      return new Options(capacity, spoolDir, spoolMaxRecords, spoolMaxBytes, sampleRate, maxBlock, deliveryTimeout);
    }

    public Options withSpoolBounds(int records, long bytes) {
      return new Options(queueCapacity, spoolDir, records, bytes, sampleRate, maxBlock, deliveryTimeout);
    }

    public Options withTimeouts(Duration block, Duration delivery) {
      return new Options(queueCapacity, spoolDir, spoolMaxRecords, spoolMaxBytes, sampleRate, block, delivery);
    }
  }

  private final String topic;
  private final Options options;
  private final Producer<String, String> producer;
  private final BlockingQueue<TraceRecord> queue;
  private final TraceSpool spool;
  private final Set<Long> spoolInFlight = ConcurrentHashMap.newKeySet();
  private final Thread sender;
  private final AtomicLong published = new AtomicLong();
  private final AtomicLong failed = new AtomicLong();
  private final AtomicLong dropped = new AtomicLong();
  private final AtomicLong sampledOut = new AtomicLong();
  private final AtomicLong spooled = new AtomicLong();
  private volatile boolean kafkaDown;
  private volatile boolean closed;

  /** A publisher to {@value Names#TOPIC_TRACES} on the given cluster, with default options. */
  public TracePublisher(String bootstrapServers) {
    this(bootstrapServers, Names.TOPIC_TRACES, Options.defaults());
  }

  /**
   * A publisher to {@code topic}; at most {@code queueCapacity} traces wait for Kafka, more are dropped.
   * Create it when the verticle starts: the constructor starts the producer and its thread.
   */
  public TracePublisher(String bootstrapServers, String topic, int queueCapacity) {
    this(bootstrapServers, topic, Options.defaults().withQueueCapacity(queueCapacity));
  }

  TracePublisher(String bootstrapServers, String topic, int queueCapacity, Duration maxBlock) {
    this(bootstrapServers, topic, Options.defaults().withQueueCapacity(queueCapacity).withTimeouts(maxBlock, null));
  }

  public TracePublisher(String bootstrapServers, String topic, Options options) {
    if (bootstrapServers == null || bootstrapServers.isBlank()) {
      throw new IllegalArgumentException("bootstrapServers is required");
    }
    if (topic == null || topic.isBlank()) {
      throw new IllegalArgumentException("topic is required");
    }
    this.topic = topic;
    this.options = options;
    this.queue = new ArrayBlockingQueue<>(options.queueCapacity());
    this.spool = new TraceSpool(spoolDir(options.spoolDir()), options.spoolMaxRecords(), options.spoolMaxBytes());
    if (spool.size() > 0) {
      LOG.info("{} traces left in the spool by an earlier run will be sent", spool.size());
    }
    this.producer = new KafkaProducer<>(producerConfig(bootstrapServers, options), new StringSerializer(), new StringSerializer());
    this.sender = new Thread(this::sendLoop, "twin-trace-publisher");
    this.sender.setDaemon(true);
    this.sender.start();
  }

  /**
   * Hands a trace over for sending and returns at once. Never throws for Kafka trouble: a trace that
   * cannot be queued or sent is logged and counted ({@link #droppedCount()}, {@link #failedCount()}).
   */
  public void publish(TraceRecord trace) {
    if (trace == null || trace.traceId() == null || trace.traceId().isBlank()) {
      dropped.incrementAndGet();
      LOG.warn("Dropped a trace without a trace id");
      return;
    }
    if (!sampled(trace)) {
      sampledOut.incrementAndGet();
      return;
    }
    if (closed || !queue.offer(trace)) {
      long count = dropped.incrementAndGet();
      // One line per thousand drops: a broker outage must not flood the log as well.
      if (count % 1000 == 1) {
        LOG.warn("Dropped trace {} ({} dropped so far): {}", trace.traceId(), count,
            closed ? "publisher is closed" : "queue is full, Kafka is not keeping up");
      }
    }
  }

  /** Traces the broker acknowledged. */
  public long publishedCount() {
    return published.get();
  }

  /** Traces that could not be serialised, or that neither Kafka nor the spool would take. */
  public long failedCount() {
    return failed.get();
  }

  /**
   * Traces lost before reaching Kafka: no trace id, memory queue full, publisher closed, or deleted unsent
   * from a full spool ({@link #spoolDroppedCount()}).
   */
  public long droppedCount() {
    return dropped.get() + spool.droppedCount();
  }

  /** Of {@link #droppedCount()}, the oldest traces deleted because the spool was full. */
  public long spoolDroppedCount() {
    return spool.droppedCount();
  }

  /** Successful generations not traced because of the sample rate. */
  public long sampledOutCount() {
    return sampledOut.get();
  }

  /** Traces written to the spool so far (a trace that fails again is counted again). */
  public long spooledCount() {
    return spooled.get();
  }

  /** Traces waiting in the spool now. */
  public int spoolSize() {
    return spool.size();
  }

  /** Traces waiting in memory for the publisher thread now. */
  public int queueSize() {
    return queue.size();
  }

  /** True from a failed send until the next acknowledged one. */
  public boolean kafkaUnreachable() {
    return kafkaDown;
  }

  /**
   * Sends what is queued, flushes and closes the producer; waits up to 10 seconds. What Kafka did not
   * take stays in the spool for the next run. Blocking: call it from a worker thread, not an event loop.
   */
  @Override
  public void close() {
    if (closed) {
      return;
    }
    closed = true;
    try {
      // If the sender is stuck on an unreachable broker, give up after the timeout and close anyway.
      if (queue.offer(END, CLOSE_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)) {
        sender.join(CLOSE_TIMEOUT.toMillis());
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    producer.close(CLOSE_TIMEOUT);
    spool.close();
  }

  /** Deterministic by trace id, so a retried request is sampled the same way. */
  private boolean sampled(TraceRecord trace) {
    double rate = options.sampleRate();
    if (rate >= 1 || !TraceRecord.STATUS_OK.equals(trace.status())) {
      return true;
    }
    double bucket = (trace.traceId().hashCode() & 0x7fffffff) / (double) Integer.MAX_VALUE;
    return bucket < rate;
  }

  private void sendLoop() {
    List<TraceRecord> batch = new ArrayList<>();
    long nextDrain = 0;
    try {
      while (true) {
        // Woken by the clock, not by each trace: publish() then never wakes this thread (a futex call and a
        // context switch per request, on cores the engine needs), and the traces of one period reach the
        // producer together, so its I/O thread wakes once for them and sends them in one request.
        Thread.sleep(BATCH_INTERVAL_MS);
        queue.drainTo(batch);
        for (TraceRecord trace : batch) {
          if (trace == END) {
            if (!kafkaDown) {
              drainSpool();
            }
            producer.flush();
            return;
          }
          send(trace);
        }
        batch.clear();
        long now = System.currentTimeMillis();
        if (now >= nextDrain) {
          drainSpool();
          nextDrain = System.currentTimeMillis() + (kafkaDown ? PROBE_INTERVAL_MS : DRAIN_INTERVAL_MS);
        }
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private void send(TraceRecord trace) {
    String value;
    try {
      value = Json.write(withSchema(trace));
    } catch (RuntimeException e) {
      countFailure(trace.traceId(), e);
      return;
    }
    String key = trace.traceId();
    if (kafkaDown) {
      toSpool(key, value);
      return;
    }
    try {
      producer.send(new ProducerRecord<>(topic, key, value), (metadata, error) -> {
        if (error == null) {
          acknowledged();
        } else {
          unreachable(error);
          toSpool(key, value);
        }
      });
    } catch (RuntimeException e) {
      // A send that timed out waiting for metadata or buffer space.
      unreachable(e);
      toSpool(key, value);
    }
  }

  /**
   * Sends the oldest spooled traces: one at a time as a probe while Kafka is down, a batch once it is up.
   * A trace is deleted from the spool when Kafka acknowledges it.
   */
  private void drainSpool() {
    int room = (kafkaDown ? 1 : DRAIN_BATCH) - spoolInFlight.size();
    if (room <= 0 || spool.size() == 0) {
      return;
    }
    for (TraceSpool.Entry entry : spool.oldest(room, spoolInFlight)) {
      spoolInFlight.add(entry.sequence());
      try {
        producer.send(new ProducerRecord<>(topic, entry.key(), entry.value()), (metadata, error) -> {
          if (error == null) {
            spool.remove(entry.sequence());
            acknowledged();
          } else {
            unreachable(error);
          }
          spoolInFlight.remove(entry.sequence());
        });
      } catch (RuntimeException e) {
        spoolInFlight.remove(entry.sequence());
        unreachable(e);
        return;
      }
    }
  }

  private void acknowledged() {
    published.incrementAndGet();
    if (kafkaDown) {
      kafkaDown = false;
      LOG.info("Kafka takes traces again; {} wait in the spool", spool.size());
    }
  }

  private void unreachable(Throwable error) {
    if (!kafkaDown) {
      kafkaDown = true;
      LOG.warn("Kafka does not take traces ({}); spooling them to disk until it does", error.toString());
    }
  }

  private void toSpool(String key, String value) {
    if (spool.append(key, value)) {
      spooled.incrementAndGet();
    } else {
      countFailure(key, new IOException("the trace spool refused the write"));
    }
  }

  private void countFailure(String traceId, Throwable error) {
    long count = failed.incrementAndGet();
    if (count % 1000 == 1) {
      LOG.warn("Trace {} was not published ({} failed so far): {}", traceId, count, error.toString());
    }
  }

  private static Path spoolDir(Path configured) {
    if (configured != null) {
      return configured;
    }
    try {
      Path dir = Files.createTempDirectory("twin-trace-spool");
      dir.toFile().deleteOnExit();
      return dir;
    } catch (IOException e) {
      throw new UncheckedIOException("cannot create a temporary trace spool", e);
    }
  }

  /** Every record on the topic carries its schema tag, whatever the caller filled in. */
  private static TraceRecord withSchema(TraceRecord t) {
    if (Names.SCHEMA_TRACE.equals(t.schema())) {
      return t;
    }
    return new TraceRecord(Names.SCHEMA_TRACE, t.traceId(), t.times(), t.request(), t.promptTemplate(),
        t.templateVariables(), t.retrieval(), t.messages(), t.prompt(), t.answer(), t.finishReason(),
        t.tokens(), t.latencies(), t.workerId(), t.status(), t.error());
  }

  private static Map<String, Object> producerConfig(String bootstrapServers, Options options) {
    int deliveryMs = (int) options.deliveryTimeout().toMillis();
    return Map.of(
        ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers,
        ProducerConfig.CLIENT_ID_CONFIG, "twin-gateway-traces",
        // Retries without duplicates or reordering per trace id.
        ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true,
        ProducerConfig.ACKS_CONFIG, "all",
        // Traces are verbose JSON (prompt, context, answer) and compress well; lz4 costs little CPU.
        ProducerConfig.COMPRESSION_TYPE_CONFIG, "lz4",
        // A few ms of batching and room for ~64 traces of 4 KB per partition batch (the 16 KB default holds
        // four): many traces per request to the broker under load, no visible delay.
        ProducerConfig.LINGER_MS_CONFIG, 10,
        ProducerConfig.BATCH_SIZE_CONFIG, 256 * 1024,
        // Only the publisher thread ever waits on this; keep it bounded so close() stays bounded too.
        ProducerConfig.MAX_BLOCK_MS_CONFIG, (int) options.maxBlock().toMillis(),
        // A trace the producer cannot deliver in this time goes to the spool instead of the producer's memory.
        ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, deliveryMs,
        ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, Math.max(1, Math.min(30_000, deliveryMs / 3)));
  }
}
