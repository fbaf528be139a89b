package dev.twinmesh.gateway.jobs;

import dev.twinmesh.common.ApiException;
import dev.twinmesh.common.JobFailure;
import dev.twinmesh.common.JobRequest;
import dev.twinmesh.common.JobResult;
import dev.twinmesh.common.Json;
import dev.twinmesh.common.Names;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.UUID;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.AlterConfigOp;
import org.apache.kafka.clients.admin.ConfigEntry;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRebalanceListener;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.config.TopicConfig;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Consumes {@value Names#TOPIC_JOB_REQUESTS} in the consumer group {@value Names#GROUP_JOBS}, generates each
 * job through the gateway over loopback, and writes one answer per job id to {@value Names#TOPIC_JOB_RESULTS}
 * (and the job's reply topic), or its error to {@value Names#TOPIC_JOB_DLQ}.
 *
 * <p>At least once in, exactly one answer out: answers, dead letters and the consumer offsets they cover
 * are committed in one Kafka transaction ({@code sendOffsetsToTransaction}), so a crash either commits both
 * or neither and the job is simply consumed again. Because jobs finish out of order, each transaction
 * commits, per partition, only up to the oldest job still running; a job answered past that mark and
 * redelivered after a crash is recognised by its id: the set of answered ids is rebuilt from the
 * compacted results topic (and the DLQ) before consuming starts, and kept current while running. The
 * same set ignores a job id submitted twice.
 *
 * <p>Concurrency is bounded: once {@code maxConcurrency} jobs are running or waiting, the consumer pauses
 * its partitions until one finishes. The group's lag ({@link #consumerLag()}) is the autoscaling signal.
 *
 * <p>One thread owns the consumer and the producer (neither is thread-safe); generations run on Vert.x and
 * hand their outcome back through a queue. Any Kafka failure ends the session: both clients are closed
 * without committing and a new session starts from the committed offsets.
 */
public final class JobsService implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(JobsService.class);
  /** Also how long a finished job may wait for its transaction: short, the loop costs little per turn. */
  private static final Duration POLL = Duration.ofMillis(10);
  private static final long LAG_INTERVAL_MS = 2_000;
  private static final long VIEW_INTERVAL_MS = 500;
  /** Retries wait 0.5, 1, 2, 4 s...: long enough to ride out a worker taken out of rotation for a health check. */
  private static final long RETRY_BASE_MS = 500;
  private static final long RETRY_MAX_MS = 8_000;

  private final Vertx vertx;
  private final JobsConfig config;
  private final JobsView view = new JobsView(10_000);
  private final ConcurrentLinkedQueue<Finished> finishedJobs = new ConcurrentLinkedQueue<>();
  private final AtomicLong answered = new AtomicLong();
  private final AtomicLong deadLettered = new AtomicLong();
  private final AtomicLong duplicates = new AtomicLong();
  private final AtomicLong retries = new AtomicLong();
  private final AtomicLong transactions = new AtomicLong();
  private final Promise<Void> ready = Promise.promise();
  private LoopbackGeneration generation;
  private io.vertx.core.Context context;
  private KafkaProducer<String, String> submitter;
  private Thread thread;
  private volatile boolean running;
  private volatile boolean halted;
  private volatile long lag;
  private volatile int inFlightGauge;
  private volatile KafkaConsumer<String, String> liveConsumer;

  // ---- owned by the consumer thread ----
  private KafkaConsumer<String, String> consumer;
  private KafkaProducer<String, String> producer;
  private KafkaConsumer<String, String> tail;
  private long session;
  private long assignmentEpoch;
  private final Map<TopicPartition, Progress> progress = new HashMap<>();
  private final ArrayDeque<ConsumerRecord<String, String>> backlog = new ArrayDeque<>();
  private final Set<String> runningIds = new HashSet<>();
  private final List<ProducerRecord<String, String>> pendingOut = new ArrayList<>();
  private final List<Object> pendingOutcomes = new ArrayList<>();
  private int inFlight;

  public JobsService(Vertx vertx, JobsConfig config) {
    this.vertx = vertx;
    this.config = config;
  }

  /**
   * Creates the job topics that are missing, then starts consuming in the background. The returned future
   * completes once the answered job ids are rebuilt and the consumer has joined its group.
   *
   * @param gatewayUrl where this process's gateway listens, e.g. {@code http://127.0.0.1:8080}
   */
  public Future<Void> start(String gatewayUrl) {
    generation = new LoopbackGeneration(vertx, gatewayUrl, config.apiKey(), config.maxConcurrency());
    context = vertx.getOrCreateContext();
    submitter = new KafkaProducer<>(Map.of(
        ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, config.bootstrapServers(),
        ProducerConfig.CLIENT_ID_CONFIG, "twin-jobs-submit-" + config.instanceId(),
        ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true,
        ProducerConfig.ACKS_CONFIG, "all",
        ProducerConfig.LINGER_MS_CONFIG, 2,
        ProducerConfig.MAX_BLOCK_MS_CONFIG, 5_000), new StringSerializer(), new StringSerializer());
    running = true;
    thread = new Thread(this::run, "twin-jobs-consumer");
    thread.setDaemon(true);
    thread.start();
    return ready.future();
  }

  /** Enqueues a job on {@value Names#TOPIC_JOB_REQUESTS}; the future completes when Kafka has it. */
  public Future<String> submit(JobRequest job) {
    JobRequest withId = job.jobId() == null || job.jobId().isBlank()
        ? job.withJobId(UUID.randomUUID().toString().replace("-", "")) : job;
    JobRequest toSend = withId.withSchema();
    Promise<String> sent = Promise.promise();
    var context = vertx.getOrCreateContext();
    try {
      submitter.send(new ProducerRecord<>(Names.TOPIC_JOB_REQUESTS, toSend.jobId(), Json.write(toSend)), (meta, error) ->
          context.runOnContext(v -> {
            if (error == null) {
              view.queued(toSend.jobId());
              sent.complete(toSend.jobId());
            } else {
              sent.fail(ApiException.unavailable("the job queue is unavailable: " + error.getMessage(), 5));
            }
          }));
    } catch (RuntimeException e) {
      sent.fail(ApiException.unavailable("the job queue is unavailable: " + e.getMessage(), 5));
    }
    return sent.future();
  }

  /** Status and, once answered, the result or error of a job; null for an id this process has not seen. */
  public JsonObject status(String jobId) {
    return view.status(jobId);
  }

  public String defaultModel() {
    return config.defaultModel();
  }

  /** Records on the requests topic not yet committed by the group, over the partitions this consumer owns. */
  public long consumerLag() {
    return lag;
  }

  public int inFlight() {
    return inFlightGauge;
  }

  public long answeredCount() {
    return answered.get();
  }

  public long deadLetteredCount() {
    return deadLettered.get();
  }

  /** Job records skipped because their id was already answered or running. */
  public long duplicateCount() {
    return duplicates.get();
  }

  public long retryCount() {
    return retries.get();
  }

  public long transactionCount() {
    return transactions.get();
  }

  /** Stops consuming and commits what has finished; running jobs are left for the next owner. Blocking. */
  @Override
  public void close() {
    stopThread(false);
  }

  /**
   * Stops the way a crash would: nothing more is produced or committed, the open transaction (if any) is
   * abandoned, and whatever was running is generated again by the next owner. For tests and benchmarks.
   */
  public void halt() {
    stopThread(true);
  }

  private void stopThread(boolean crash) {
    if (!running) {
      return;
    }
    halted = crash;
    running = false;
    KafkaConsumer<String, String> c = liveConsumer;
    if (c != null) {
      c.wakeup();
    }
    try {
      thread.join(30_000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    submitter.close(crash ? Duration.ZERO : Duration.ofSeconds(5));
    generation.close();
  }

  // ---- the consumer thread ---------------------------------------------------------------------------

  private void run() {
    try {
      ensureTopics();
    } catch (RuntimeException e) {
      LOG.error("Cannot prepare the job topics", e);
    }
    while (running) {
      try {
        startSession();
        ready.tryComplete();
        while (running) {
          step();
        }
        if (!halted) {
          commit();
        }
      } catch (WakeupException e) {
        // close() or halt() woke the poll.
      } catch (RuntimeException e) {
        if (running) {
          LOG.warn("Jobs session ended ({}); starting again from the committed offsets", e.toString());
        }
      } finally {
        endSession();
      }
      if (running) {
        sleep(1_000);
      }
    }
    ready.tryFail("the jobs consumer stopped before it started");
  }

  private void startSession() {
    session++;
    producer = new KafkaProducer<>(transactionalConfig(), new StringSerializer(), new StringSerializer());
    producer.initTransactions();
    rebuildView();
    consumer = new KafkaConsumer<>(consumerConfig(), new StringDeserializer(), new StringDeserializer());
    liveConsumer = consumer;
    consumer.subscribe(List.of(Names.TOPIC_JOB_REQUESTS), new Rebalance());
    // The first poll joins the group; the future given by start() completes after it.
    consumer.poll(Duration.ZERO).forEach(this::accept);
    LOG.info("Jobs consumer {} ready: {} job ids already answered", config.instanceId(), view.finishedCount());
  }

  private void endSession() {
    liveConsumer = null;
    for (ConsumerRecord<String, String> waiting : backlog) {
      view.released(waiting.key());
    }
    runningIds.forEach(view::released);
    backlog.clear();
    runningIds.clear();
    progress.clear();
    pendingOut.clear();
    pendingOutcomes.clear();
    inFlight = 0;
    inFlightGauge = 0;
    closeQuietly(consumer, halted);
    closeQuietly(tail, halted);
    if (producer != null) {
      try {
        producer.close(halted ? Duration.ZERO : Duration.ofSeconds(5));
      } catch (RuntimeException ignored) {
        // Closing after a failure can fail again; the session is over either way.
      }
    }
    consumer = null;
    tail = null;
    producer = null;
  }

  private long lastLagCheck;
  private long lastViewTail;

  private void step() {
    consumer.poll(POLL).forEach(this::accept);
    startFromBacklog();
    collectFinished();
    commit();
    long now = System.currentTimeMillis();
    if (now - lastViewTail >= VIEW_INTERVAL_MS) {
      lastViewTail = now;
      tailView(Duration.ZERO);
    }
    if (now - lastLagCheck >= LAG_INTERVAL_MS) {
      lastLagCheck = now;
      updateLag();
    }
    boolean full = inFlight + backlog.size() >= config.maxConcurrency();
    if (full) {
      consumer.pause(consumer.assignment());
    } else if (!consumer.paused().isEmpty()) {
      consumer.resume(consumer.paused());
    }
    inFlightGauge = inFlight;
  }

  private void accept(ConsumerRecord<String, String> record) {
    Progress p = progress.get(new TopicPartition(record.topic(), record.partition()));
    if (p == null) {
      return;
    }
    p.started(record.offset());
    backlog.add(record);
  }

  private void startFromBacklog() {
    while (inFlight < config.maxConcurrency() && !backlog.isEmpty()) {
      startJob(backlog.poll());
    }
  }

  private void startJob(ConsumerRecord<String, String> record) {
    TopicPartition partition = new TopicPartition(record.topic(), record.partition());
    Progress p = progress.get(partition);
    JobCodec.Parsed parsed = JobCodec.parse(record.value(), record.key(), config.defaultModel());
    if (!parsed.valid()) {
      String jobId = parsed.job() == null ? record.key() : parsed.job().jobId();
      if (view.isFinished(jobId)) {
        duplicates.incrementAndGet();
      } else {
        deadLetter(record, jobId, parsed.error(), false, 0);
      }
      p.done(record.offset());
      return;
    }
    String jobId = parsed.job().jobId();
    if (view.isFinished(jobId) || runningIds.contains(jobId)) {
      duplicates.incrementAndGet();
      p.done(record.offset());
      return;
    }
    inFlight++;
    runningIds.add(jobId);
    view.running(jobId);
    Finished.Key key = new Finished.Key(session, p.epoch, partition, record.offset());
    long enqueuedAt = record.timestamp();
    context.runOnContext(v -> attempt(parsed, record, key, enqueuedAt, System.currentTimeMillis(), 1));
  }

  /** One generation attempt on the event loop; retryable failures try again with a growing pause. */
  private void attempt(JobCodec.Parsed parsed, ConsumerRecord<String, String> record, Finished.Key key,
                       long enqueuedAt, long startedAt, int attempt) {
    generation.generate(parsed.chatBody()).onComplete(outcome -> {
      if (outcome.succeeded()) {
        LoopbackGeneration.Answer a = outcome.result();
        long finishedAt = System.currentTimeMillis();
        JobResult result = new JobResult(Names.SCHEMA_JOB_RESULT, parsed.job().jobId(), JobResult.STATUS_DONE,
            a.model(), a.text(), a.finishReason(), a.usage(), a.traceId(),
            new JobResult.Timings(enqueuedAt, startedAt, finishedAt, Math.max(0, startedAt - enqueuedAt),
                finishedAt - startedAt), attempt);
        finishedJobs.add(new Finished(key, parsed.job(), result, null));
        return;
      }
      ApiException error = ApiException.from(outcome.cause());
      boolean retryable = error.status() == 0 || error.status() == 429 || error.status() >= 500;
      if (retryable && attempt < config.maxAttempts() && running) {
        retries.incrementAndGet();
        long pause = Math.min(RETRY_MAX_MS, RETRY_BASE_MS << Math.min(attempt - 1, 10));
        if (error.retryAfterSeconds() != null) {
          pause = Math.max(pause, Math.min(RETRY_MAX_MS, error.retryAfterSeconds() * 1000L));
        }
        vertx.setTimer(pause,
            t -> attempt(parsed, record, key, enqueuedAt, startedAt, attempt + 1));
        return;
      }
      String reason = (error.status() == 0 ? "" : error.status() + " ") + error.getMessage()
          + (retryable ? " (after " + attempt + " attempts)" : "");
      finishedJobs.add(new Finished(key, parsed.job(), null, failure(record, parsed.job().jobId(), reason, retryable, attempt)));
    });
  }

  private void collectFinished() {
    Finished f;
    while ((f = finishedJobs.poll()) != null) {
      if (f.key.session() != session) {
        continue;
      }
      inFlight--;
      runningIds.remove(f.job.jobId());
      Progress p = progress.get(f.key.partition());
      if (p == null || p.epoch != f.key.epoch()) {
        // The partition moved while the job ran: its new owner generates it again.
        view.released(f.job.jobId());
        continue;
      }
      if (f.result != null) {
        pendingOut.add(new ProducerRecord<>(Names.TOPIC_JOB_RESULTS, f.job.jobId(), Json.write(f.result)));
        String reply = f.job.replyTopic();
        if (reply != null && !reply.isBlank() && !reply.equals(Names.TOPIC_JOB_RESULTS)) {
          pendingOut.add(new ProducerRecord<>(reply, f.job.jobId(), Json.write(f.result)));
        }
        pendingOutcomes.add(f.result);
      } else {
        addDeadLetter(f.failure);
      }
      p.done(f.key.offset());
    }
  }

  private void deadLetter(ConsumerRecord<String, String> record, String jobId, String reason, boolean retryable, int attempts) {
    addDeadLetter(failure(record, jobId, reason, retryable, attempts));
  }

  private void addDeadLetter(JobFailure failure) {
    pendingOut.add(new ProducerRecord<>(Names.TOPIC_JOB_DLQ, failure.jobId(), Json.write(failure)));
    pendingOutcomes.add(failure);
  }

  private static JobFailure failure(ConsumerRecord<String, String> record, String jobId, String reason,
                                    boolean retryable, int attempts) {
    return new JobFailure(Names.SCHEMA_JOB_FAILURE, jobId, reason, retryable, attempts, record.value(),
        record.topic(), record.partition(), record.offset(), System.currentTimeMillis());
  }

  /** Answers, dead letters and the offsets they complete, in one transaction. */
  private void commit() {
    Map<TopicPartition, OffsetAndMetadata> offsets = new HashMap<>();
    progress.forEach((partition, p) -> {
      long next = p.committable();
      if (next > p.committed) {
        offsets.put(partition, new OffsetAndMetadata(next));
      }
    });
    if (pendingOut.isEmpty() && offsets.isEmpty()) {
      return;
    }
    producer.beginTransaction();
    for (ProducerRecord<String, String> out : pendingOut) {
      producer.send(out);
    }
    if (!offsets.isEmpty()) {
      producer.sendOffsetsToTransaction(offsets, consumer.groupMetadata());
    }
    producer.commitTransaction();
    transactions.incrementAndGet();
    offsets.forEach((partition, offset) -> progress.get(partition).committed = offset.offset());
    for (Object outcome : pendingOutcomes) {
      if (outcome instanceof JobResult result) {
        view.answered(result);
        answered.incrementAndGet();
      } else {
        JobFailure failure = (JobFailure) outcome;
        view.failed(failure);
        deadLettered.incrementAndGet();
      }
    }
    pendingOut.clear();
    pendingOutcomes.clear();
  }

  /** Reads the results and DLQ topics (committed records only) from the start to their current end. */
  private void rebuildView() {
    tail = new KafkaConsumer<>(tailConfig(), new StringDeserializer(), new StringDeserializer());
    List<TopicPartition> partitions = new ArrayList<>();
    for (String topic : List.of(Names.TOPIC_JOB_RESULTS, Names.TOPIC_JOB_DLQ)) {
      tail.partitionsFor(topic, Duration.ofSeconds(30))
          .forEach(info -> partitions.add(new TopicPartition(topic, info.partition())));
    }
    tail.assign(partitions);
    tail.seekToBeginning(partitions);
    Map<TopicPartition, Long> end = tail.endOffsets(partitions);
    long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(2);
    while (partitions.stream().anyMatch(p -> tail.position(p) < end.get(p))) {
      if (System.nanoTime() > deadline) {
        throw new IllegalStateException("the results topic could not be read to its end");
      }
      tailView(Duration.ofMillis(200));
    }
  }

  private void tailView(Duration wait) {
    for (ConsumerRecord<String, String> record : tail.poll(wait)) {
      if (record.value() == null) {
        continue;
      }
      try {
        if (record.topic().equals(Names.TOPIC_JOB_RESULTS)) {
          view.answered(Json.read(record.value(), JobResult.class));
        } else {
          view.failed(Json.read(record.value(), JobFailure.class));
        }
      } catch (RuntimeException e) {
        LOG.debug("Skipping an unreadable record on {}: {}", record.topic(), e.getMessage());
      }
    }
  }

  private void updateLag() {
    Set<TopicPartition> owned = consumer.assignment();
    if (owned.isEmpty()) {
      lag = 0;
      return;
    }
    Map<TopicPartition, Long> end = consumer.endOffsets(owned, Duration.ofSeconds(5));
    Map<TopicPartition, OffsetAndMetadata> committed = consumer.committed(owned, Duration.ofSeconds(5));
    long total = 0;
    for (TopicPartition partition : owned) {
      OffsetAndMetadata c = committed.get(partition);
      total += Math.max(0, end.getOrDefault(partition, 0L) - (c == null ? 0 : c.offset()));
    }
    lag = total;
  }

  private void ensureTopics() {
    try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, config.bootstrapServers()))) {
      Set<String> existing = admin.listTopics().names().get(30, TimeUnit.SECONDS);
      List<NewTopic> missing = new ArrayList<>();
      if (!existing.contains(Names.TOPIC_JOB_REQUESTS)) {
        missing.add(new NewTopic(Names.TOPIC_JOB_REQUESTS, 3, (short) 1));
      }
      if (!existing.contains(Names.TOPIC_JOB_RESULTS)) {
        missing.add(new NewTopic(Names.TOPIC_JOB_RESULTS, 3, (short) 1)
            .configs(Map.of(TopicConfig.CLEANUP_POLICY_CONFIG, TopicConfig.CLEANUP_POLICY_COMPACT)));
      }
      if (!existing.contains(Names.TOPIC_JOB_DLQ)) {
        missing.add(new NewTopic(Names.TOPIC_JOB_DLQ, 1, (short) 1));
      }
      if (!missing.isEmpty()) {
        admin.createTopics(missing).all().get(30, TimeUnit.SECONDS);
      }
      // The answered ids are rebuilt from the results topic: it must keep the latest answer of every job.
      ConfigResource results = new ConfigResource(ConfigResource.Type.TOPIC, Names.TOPIC_JOB_RESULTS);
      String policy = admin.describeConfigs(List.of(results)).all().get(30, TimeUnit.SECONDS)
          .get(results).get(TopicConfig.CLEANUP_POLICY_CONFIG).value();
      if (!policy.contains(TopicConfig.CLEANUP_POLICY_COMPACT)) {
        admin.incrementalAlterConfigs(Map.of(results, List.of(new AlterConfigOp(
            new ConfigEntry(TopicConfig.CLEANUP_POLICY_CONFIG, TopicConfig.CLEANUP_POLICY_COMPACT),
            AlterConfigOp.OpType.SET)))).all().get(30, TimeUnit.SECONDS);
      }
    } catch (Exception e) {
      if (e instanceof InterruptedException) {
        Thread.currentThread().interrupt();
      }
      throw new IllegalStateException("cannot prepare the job topics: " + e.getMessage(), e);
    }
  }

  private Map<String, Object> transactionalConfig() {
    return Map.of(
        ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, config.bootstrapServers(),
        ProducerConfig.CLIENT_ID_CONFIG, "twin-jobs-" + config.instanceId(),
        // Stable per instance: a restarted consumer fences and aborts its predecessor's open transaction.
        ProducerConfig.TRANSACTIONAL_ID_CONFIG, "twin-jobs-" + config.instanceId(),
        ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true,
        ProducerConfig.ACKS_CONFIG, "all",
        ProducerConfig.COMPRESSION_TYPE_CONFIG, "lz4",
        ProducerConfig.TRANSACTION_TIMEOUT_CONFIG, (int) config.transactionTimeout().toMillis(),
        ProducerConfig.MAX_BLOCK_MS_CONFIG, 30_000);
  }

  private Map<String, Object> consumerConfig() {
    Map<String, Object> c = new HashMap<>();
    c.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, config.bootstrapServers());
    c.put(ConsumerConfig.GROUP_ID_CONFIG, config.groupId());
    c.put(ConsumerConfig.CLIENT_ID_CONFIG, "twin-jobs-" + config.instanceId());
    c.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
    c.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
    c.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
    c.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, Math.max(1, config.maxConcurrency()));
    // A parked fetch answers when data arrives; this only bounds the wait when it does not.
    c.put(ConsumerConfig.FETCH_MAX_WAIT_MS_CONFIG, 100);
    // A crashed consumer's partitions move to the others after 10 s instead of 45 s.
    c.put(ConsumerConfig.SESSION_TIMEOUT_MS_CONFIG, 10_000);
    c.put(ConsumerConfig.HEARTBEAT_INTERVAL_MS_CONFIG, 2_000);
    // A generation can take minutes; the loop polls every few ms whatever runs, so this only guards a stuck thread.
    c.put(ConsumerConfig.MAX_POLL_INTERVAL_MS_CONFIG, 300_000);
    return c;
  }

  private Map<String, Object> tailConfig() {
    return Map.of(
        ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, config.bootstrapServers(),
        ConsumerConfig.CLIENT_ID_CONFIG, "twin-jobs-view-" + config.instanceId(),
        ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false,
        ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
  }

  private static void closeQuietly(KafkaConsumer<String, String> c, boolean fast) {
    if (c == null) {
      return;
    }
    try {
      c.close(fast ? Duration.ZERO : Duration.ofSeconds(5));
    } catch (RuntimeException ignored) {
      // Already broken; nothing to release.
    }
  }

  private static void sleep(long ms) {
    try {
      Thread.sleep(ms);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /** Keeps the partitions' progress in step with the group: commit before giving a partition away. */
  private final class Rebalance implements ConsumerRebalanceListener {
    @Override
    public void onPartitionsRevoked(Collection<TopicPartition> partitions) {
      if (running && !halted) {
        try {
          collectFinished();
          commit();
        } catch (RuntimeException e) {
          LOG.warn("Could not commit before giving up partitions {}: {}", partitions, e.toString());
        }
      }
      forget(partitions);
    }

    @Override
    public void onPartitionsLost(Collection<TopicPartition> partitions) {
      forget(partitions);
    }

    @Override
    public void onPartitionsAssigned(Collection<TopicPartition> partitions) {
      assignmentEpoch++;
      Map<TopicPartition, OffsetAndMetadata> committed = consumer.committed(new HashSet<>(partitions), Duration.ofSeconds(30));
      for (TopicPartition partition : partitions) {
        OffsetAndMetadata c = committed.get(partition);
        progress.put(partition, new Progress(assignmentEpoch, c == null ? -1 : c.offset()));
      }
    }

    private void forget(Collection<TopicPartition> partitions) {
      partitions.forEach(progress::remove);
      backlog.removeIf(r -> {
        boolean gone = partitions.contains(new TopicPartition(r.topic(), r.partition()));
        if (gone) {
          view.released(r.key());
        }
        return gone;
      });
    }
  }

  /** Per partition: offsets taken but not finished, and the next offset to commit. */
  private static final class Progress {
    final long epoch;
    final TreeSet<Long> pending = new TreeSet<>();
    long next = -1;
    long committed;

    Progress(long epoch, long committed) {
      this.epoch = epoch;
      this.committed = committed;
    }

    void started(long offset) {
      pending.add(offset);
      next = Math.max(next, offset + 1);
    }

    void done(long offset) {
      pending.remove(offset);
      next = Math.max(next, offset + 1);
    }

    /** Everything before the oldest unfinished offset is done. */
    long committable() {
      return pending.isEmpty() ? next : pending.first();
    }
  }

  /** A generation's outcome, handed from the event loop back to the consumer thread. */
  private record Finished(Key key, JobRequest job, JobResult result, JobFailure failure) {
    record Key(long session, long epoch, TopicPartition partition, long offset) {}
  }
}
