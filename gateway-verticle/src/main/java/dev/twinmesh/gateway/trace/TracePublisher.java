package dev.twinmesh.gateway.trace;

import dev.twinmesh.common.Json;
import dev.twinmesh.common.Names;
import dev.twinmesh.common.TraceRecord;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
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
 * trace that cannot be sent is logged and counted, never reported to the client.
 *
 * <p>Why kafka-clients' producer on a thread of its own rather than vertx-kafka-client: the producer
 * already batches and sends on its own I/O thread, and we never need the outcome on the event loop. What
 * the producer does not promise is that {@code send} returns at once: it blocks for up to
 * {@code max.block.ms} while it fetches topic metadata (the first trace, a broker that is down) or while
 * its buffer is full. A bounded queue in front of one publisher thread keeps that wait off the serving
 * path; when the queue is full, traces are dropped and counted.
 */
public final class TracePublisher implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(TracePublisher.class);
  private static final int DEFAULT_QUEUE_CAPACITY = 10_000;
  private static final Duration CLOSE_TIMEOUT = Duration.ofSeconds(10);
  private static final Duration DEFAULT_MAX_BLOCK = Duration.ofSeconds(10);
  /** Marks the end of the queue for the publisher thread. */
  private static final TraceRecord END = new TraceRecord(null, null, null, null, null, null, null, null,
      null, null, null, null, null, null, null, null);

  private final String topic;
  private final Producer<String, String> producer;
  private final BlockingQueue<TraceRecord> queue;
  private final Thread sender;
  private final AtomicLong published = new AtomicLong();
  private final AtomicLong failed = new AtomicLong();
  private final AtomicLong dropped = new AtomicLong();
  private volatile boolean closed;

  /** A publisher to {@value Names#TOPIC_TRACES} on the given cluster. */
  public TracePublisher(String bootstrapServers) {
    this(bootstrapServers, Names.TOPIC_TRACES, DEFAULT_QUEUE_CAPACITY);
  }

  /**
   * A publisher to {@code topic}; at most {@code queueCapacity} traces wait for Kafka, more are dropped.
   * Create it when the verticle starts: the constructor starts the producer and its thread.
   */
  public TracePublisher(String bootstrapServers, String topic, int queueCapacity) {
    this(bootstrapServers, topic, queueCapacity, DEFAULT_MAX_BLOCK);
  }

  TracePublisher(String bootstrapServers, String topic, int queueCapacity, Duration maxBlock) {
    if (bootstrapServers == null || bootstrapServers.isBlank()) {
      throw new IllegalArgumentException("bootstrapServers is required");
    }
    if (topic == null || topic.isBlank()) {
      throw new IllegalArgumentException("topic is required");
    }
    if (queueCapacity < 1) {
      throw new IllegalArgumentException("queueCapacity must be at least 1, got " + queueCapacity);
    }
    this.topic = topic;
    this.queue = new ArrayBlockingQueue<>(queueCapacity);
    this.producer = new KafkaProducer<>(producerConfig(bootstrapServers, maxBlock), new StringSerializer(), new StringSerializer());
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

  /** Traces that were sent but failed (after the producer's own retries), or could not be serialised. */
  public long failedCount() {
    return failed.get();
  }

  /** Traces refused before sending: no trace id, queue full, or publisher closed. */
  public long droppedCount() {
    return dropped.get();
  }

  /**
   * Sends what is queued, flushes and closes the producer; waits up to 10 seconds. Blocking: call it from
   * a worker thread (e.g. {@code vertx.executeBlocking}), not from an event loop.
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
  }

  private void sendLoop() {
    try {
      while (true) {
        TraceRecord trace = queue.take();
        if (trace == END) {
          producer.flush();
          return;
        }
        send(trace);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private void send(TraceRecord trace) {
    try {
      String value = Json.write(withSchema(trace));
      producer.send(new ProducerRecord<>(topic, trace.traceId(), value), (metadata, error) -> {
        if (error == null) {
          published.incrementAndGet();
        } else {
          countFailure(trace, error);
        }
      });
    } catch (RuntimeException e) {
      // Serialisation errors, or a send that timed out waiting for metadata or buffer space.
      countFailure(trace, e);
    }
  }

  private void countFailure(TraceRecord trace, Throwable error) {
    long count = failed.incrementAndGet();
    // When the broker goes away, a whole buffer of traces fails at once: log the first of each thousand.
    if (count % 1000 == 1) {
      LOG.warn("Trace {} was not published ({} failed so far): {}", trace.traceId(), count, error.toString());
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

  private static Map<String, Object> producerConfig(String bootstrapServers, Duration maxBlock) {
    return Map.of(
        ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers,
        ProducerConfig.CLIENT_ID_CONFIG, "twin-gateway-traces",
        // Retries without duplicates or reordering per trace id.
        ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true,
        ProducerConfig.ACKS_CONFIG, "all",
        // Traces are verbose JSON (prompt, context, answer) and compress well; lz4 costs little CPU.
        ProducerConfig.COMPRESSION_TYPE_CONFIG, "lz4",
        // A few ms of batching: many traces per request to the broker under load, no visible delay.
        ProducerConfig.LINGER_MS_CONFIG, 5,
        // Only the publisher thread ever waits on this; keep it bounded so close() stays bounded too.
        ProducerConfig.MAX_BLOCK_MS_CONFIG, (int) maxBlock.toMillis());
  }
}
