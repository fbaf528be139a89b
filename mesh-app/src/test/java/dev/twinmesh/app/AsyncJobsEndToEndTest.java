package dev.twinmesh.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.twinmesh.common.JobFailure;
import dev.twinmesh.common.JobResult;
import dev.twinmesh.common.Json;
import dev.twinmesh.common.Names;
import dev.twinmesh.gateway.jobs.JobsConfig;
import dev.twinmesh.gateway.jobs.JobsService;
import dev.twinmesh.worker.WorkerSettings;
import io.vertx.core.json.JsonObject;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;

/**
 * Async generation jobs through the whole mesh on the tiny preset: requests on Kafka, generation by the
 * real worker through the gateway (loopback), answers on the results topic, bad jobs in the DLQ, and a
 * consumer that crashes half way without losing or doubling an answer.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class AsyncJobsEndToEndTest {
  private static final int JOBS = 200;
  // Retrieval off: these jobs test Kafka's side; the HTTP job below goes through RAG.
  private static final String VALID = "{\"job_id\":\"%s\",\"question\":\"Write about RAG %d\",\"author\":\"alice\",\"rag\":false,"
      + "\"sampling\":{\"temperature\":0,\"max_tokens\":3,\"ignore_eos\":true}}";

  @TempDir
  static Path dataDir;
  static LocalMesh mesh;
  static KafkaProducer<String, String> producer;

  @BeforeAll
  static void startMesh() {
    Path modelDir = dataDir.resolve("tiny-model");
    assertEquals(0, TwinMesh.commandLine().execute("model", "random", "--preset", "tiny", "--out", modelDir.toString(),
        "--seed", "7", "--quiet"));
    mesh = LocalMesh.start(new LocalMesh.Settings(dataDir.resolve("mesh"), modelDir, "tiny", "twin", "127.0.0.1",
        0, 0, 0, 0, 0, new WorkerSettings.Runtime("cpu", 1, 2048, 16, 256), Set.of()));
    Properties p = new Properties();
    p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, mesh.kafkaBootstrap());
    p.put(ProducerConfig.ACKS_CONFIG, "all");
    producer = new KafkaProducer<>(p, new StringSerializer(), new StringSerializer());
  }

  @AfterAll
  static void stopMesh() {
    if (producer != null) {
      producer.close();
    }
    if (mesh != null) {
      mesh.close();
    }
  }

  @Test
  @Order(1)
  void aJobPostedOverHttpIsAnsweredAndItsStatusServed() throws Exception {
    HttpResponse<String> bad = MeshHttp.post(mesh.gatewayUrl() + "/v1/jobs", "{\"author\":\"alice\"}");
    assertEquals(400, bad.statusCode(), bad.body());
    assertTrue(new JsonObject(bad.body()).getJsonObject("error").getString("message").contains("messages or a question"));

    HttpResponse<String> posted = MeshHttp.post(mesh.gatewayUrl() + "/v1/jobs",
        "{\"messages\":[{\"role\":\"user\",\"content\":\"Write about Kafka\"}],\"sampling\":{\"max_tokens\":4,"
            + "\"temperature\":0,\"ignore_eos\":true}}");
    assertEquals(202, posted.statusCode(), posted.body());
    String id = new JsonObject(posted.body()).getString("id");
    assertEquals("/v1/jobs/" + id, posted.headers().firstValue("location").orElseThrow());

    JsonObject status = null;
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    while (System.nanoTime() < deadline) {
      HttpResponse<String> got = MeshHttp.get(mesh.gatewayUrl() + "/v1/jobs/" + id);
      assertEquals(200, got.statusCode(), got.body());
      status = new JsonObject(got.body());
      if ("done".equals(status.getString("status"))) {
        break;
      }
      Thread.sleep(50);
    }
    assertEquals("done", status.getString("status"), status.encode());
    JsonObject result = status.getJsonObject("result");
    assertEquals(4, result.getJsonObject("usage").getInteger("completion_tokens"));
    assertNotNull(result.getString("trace_id"));
    JsonObject trace = MeshHttp.awaitJson(mesh.monitorUrl() + "/api/traces/" + result.getString("trace_id"), Duration.ofSeconds(30));
    assertEquals(result.getString("answer"), trace.getString("answer"), "the job's answer is the traced answer");

    assertEquals(404, MeshHttp.get(mesh.gatewayUrl() + "/v1/jobs/no-such-job").statusCode());
    String metrics = MeshHttp.get(mesh.gatewayUrl() + "/metrics").body();
    assertTrue(metrics.contains("twin_jobs_consumer_lag"), metrics);
    assertTrue(metrics.contains("twin_traces_published_total"), metrics);
  }

  @Test
  @Order(2)
  void everyValidJobHasExactlyOneAnswerAndEveryMalformedOneIsDeadLetteredAcrossACrash() throws Exception {
    Map<String, String> malformedReasons = new HashMap<>();
    List<String> valid = new ArrayList<>();
    for (int i = 0; i < JOBS; i++) {
      String id = "bulk-" + i;
      String value;
      if (i % 10 == 3) {
        value = malformed(i);
        malformedReasons.put(id, reasonFragment(i));
      } else {
        value = VALID.formatted(id, i);
        valid.add(id);
      }
      producer.send(new ProducerRecord<>(Names.TOPIC_JOB_REQUESTS, id, value));
      // Ten jobs are submitted twice: at least once in must still be one answer out.
      if (i % 20 == 0) {
        producer.send(new ProducerRecord<>(Names.TOPIC_JOB_REQUESTS, id, value));
      }
    }
    producer.flush();

    JobsService first = mesh.jobs();
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    while (first.answeredCount() < 60) {
      assertTrue(System.nanoTime() < deadline, "60 answers within a minute; got " + first.answeredCount());
      Thread.sleep(20);
    }
    first.halt();
    long answeredBeforeCrash = first.answeredCount();
    assertTrue(answeredBeforeCrash < valid.size(), "the crash came mid-way: " + answeredBeforeCrash);

    // Same instance id as the crashed consumer: its transactional id fences whatever the crash left open.
    JobsService second = new JobsService(mesh.vertx(), JobsConfig.of(mesh.kafkaBootstrap(), "twin"));
    try {
      second.start(mesh.gatewayUrl()).await(60, TimeUnit.SECONDS);
      Map<String, List<JobResult>> results = readResults(valid.size(), Duration.ofSeconds(120));
      Map<String, List<JobFailure>> dead = readDeadLetters(malformedReasons.size(), Duration.ofSeconds(30));

      assertEquals(Set.copyOf(valid), results.keySet(), "every valid job answered, nothing else");
      results.forEach((id, answers) -> assertEquals(1, answers.size(), "exactly one answer for " + id));
      for (List<JobResult> answers : results.values()) {
        JobResult r = answers.get(0);
        assertEquals(JobResult.STATUS_DONE, r.status());
        assertEquals(3, r.usage().completionTokens());
        assertEquals("length", r.finishReason());
        assertNotNull(r.traceId(), "the answer names its trace");
        assertTrue(r.timings().finishedAt() >= r.timings().startedAt());
      }

      assertEquals(malformedReasons.keySet(), dead.keySet(), "every malformed job dead-lettered");
      malformedReasons.forEach((id, reason) -> {
        assertEquals(1, dead.get(id).size(), "one dead letter for " + id);
        JobFailure f = dead.get(id).get(0);
        assertTrue(f.error().contains(reason), id + ": '" + f.error() + "' should mention '" + reason + "'");
        assertTrue(f.request() != null && !f.request().isEmpty(), "the original request is kept");
        assertEquals(Names.TOPIC_JOB_REQUESTS, f.sourceTopic());
      });
      assertTrue(second.duplicateCount() + first.duplicateCount() >= 10, "resubmitted job ids were recognised");
      System.out.printf("jobs: %d answered before the crash, %d after; %d duplicates skipped; %d dead letters%n",
          answeredBeforeCrash, second.answeredCount(), first.duplicateCount() + second.duplicateCount(), dead.size());
    } finally {
      second.close();
    }
  }

  private static String malformed(int i) {
    String id = "bulk-" + i;
    return switch ((i / 10) % 5) {
      case 0 -> "{not json at all";
      case 1 -> "{\"job_id\":\"" + id + "\",\"author\":\"alice\"}";
      case 2 -> "{\"job_id\":\"" + id + "\",\"question\":\"hi\",\"sampling\":{\"temperature\":9}}";
      case 3 -> "{\"schema\":\"twin.job.request.v9\",\"job_id\":\"" + id + "\",\"question\":\"hi\"}";
      default -> "{\"job_id\":\"" + id + "\",\"question\":\"hi\",\"sampling\":{\"max_tokens\":-4}}";
    };
  }

  private static String reasonFragment(int i) {
    return switch ((i / 10) % 5) {
      case 0 -> "cannot parse JobRequest";
      case 1 -> "needs messages or a question";
      case 2 -> "temperature";
      case 3 -> "unsupported schema";
      default -> "max_tokens";
    };
  }

  private static Map<String, List<JobResult>> readResults(int expected, Duration timeout) {
    Map<String, List<JobResult>> byId = new HashMap<>();
    readTopic(Names.TOPIC_JOB_RESULTS, timeout, () -> byId.size() >= expected,
        r -> {
          if (r.key().startsWith("bulk-")) {
            byId.computeIfAbsent(r.key(), k -> new ArrayList<>()).add(Json.read(r.value(), JobResult.class));
          }
        });
    return byId;
  }

  private static Map<String, List<JobFailure>> readDeadLetters(int expected, Duration timeout) {
    Map<String, List<JobFailure>> byId = new HashMap<>();
    readTopic(Names.TOPIC_JOB_DLQ, timeout, () -> byId.size() >= expected,
        r -> byId.computeIfAbsent(r.key(), k -> new ArrayList<>()).add(Json.read(r.value(), JobFailure.class)));
    return byId;
  }

  /** Reads committed records until {@code enough}, then two more seconds to catch any extra one. */
  private static void readTopic(String topic, Duration timeout, java.util.function.BooleanSupplier enough,
                                java.util.function.Consumer<ConsumerRecord<String, String>> sink) {
    Properties p = new Properties();
    p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, mesh.kafkaBootstrap());
    p.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
    try (KafkaConsumer<String, String> consumer = new KafkaConsumer<>(p, new StringDeserializer(), new StringDeserializer())) {
      List<TopicPartition> partitions = consumer.partitionsFor(topic).stream()
          .map(info -> new TopicPartition(topic, info.partition())).toList();
      consumer.assign(partitions);
      consumer.seekToBeginning(partitions);
      long deadline = System.nanoTime() + timeout.toNanos();
      while (!enough.getAsBoolean() && System.nanoTime() < deadline) {
        consumer.poll(Duration.ofMillis(200)).forEach(sink);
      }
      long grace = System.nanoTime() + TimeUnit.SECONDS.toNanos(2);
      while (System.nanoTime() < grace) {
        consumer.poll(Duration.ofMillis(200)).forEach(sink);
      }
    }
  }
}
