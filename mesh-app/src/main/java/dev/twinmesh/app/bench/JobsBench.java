package dev.twinmesh.app.bench;

import dev.twinmesh.app.LocalMesh;
import dev.twinmesh.common.JobResult;
import dev.twinmesh.common.Json;
import dev.twinmesh.common.Names;
import dev.twinmesh.worker.WorkerSettings;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.Callable;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * What an async job costs beyond its generation: the whole mesh in this JVM on a tiny random model; the
 * same chat is asked over HTTP and as a job, one at a time, and the job's overhead is its time from send
 * to the committed answer on the results topic minus the generation it contains. Then a burst of jobs
 * measures throughput through the bounded consumer.
 */
@Command(name = "jobs", mixinStandardHelpOptions = true,
    description = {"Overhead per async job beyond the generation itself (Kafka in, transaction out, loopback call),",
        "and jobs/s for a burst, on the whole mesh in this JVM (tiny random model, CPU)."})
public final class JobsBench implements Callable<Integer> {

  @Option(names = "--count", defaultValue = "50", description = "Jobs asked one at a time. Default: ${DEFAULT-VALUE}.")
  int count;

  @Option(names = "--burst", defaultValue = "200", description = "Jobs sent at once for the throughput figure. Default: ${DEFAULT-VALUE}.")
  int burst;

  @Option(names = "--max-tokens", defaultValue = "4", description = "Tokens generated per job. Default: ${DEFAULT-VALUE}.")
  int maxTokens;

  @Option(names = "--data-dir", description = "Where the mesh keeps its files (default: a temporary directory).")
  Path dataDir;

  private final HttpClient http = HttpClient.newHttpClient();

  @Override
  public Integer call() throws Exception {
    Path dir = dataDir != null ? dataDir : Files.createTempDirectory("twin-bench-jobs");
    try (LocalMesh mesh = LocalMesh.start(new LocalMesh.Settings(dir, null, "tiny", "twin", "127.0.0.1", 0, 0, 0, 0, 0,
            new WorkerSettings.Runtime("cpu", 1, 2048, 16, 512), Set.of()));
         KafkaProducer<String, String> producer = producer(mesh.kafkaBootstrap());
         KafkaConsumer<String, String> results = results(mesh.kafkaBootstrap())) {
      for (int i = 0; i < 5; i++) {
        direct(mesh);
        job(producer, results);
      }
      double[] direct = new double[count];
      double[] total = new double[count];
      double[] generation = new double[count];
      double[] overhead = new double[count];
      for (int i = 0; i < count; i++) {
        direct[i] = direct(mesh);
        double[] job = job(producer, results);
        total[i] = job[0];
        generation[i] = job[1];
        overhead[i] = job[0] - job[1];
      }
      System.out.printf("bench jobs: tiny random model on CPU, max_tokens %d, %d jobs one at a time%n", maxTokens, count);
      row("HTTP chat completion (direct)", direct);
      row("job: send -> committed answer", total);
      row("  of which generation (loopback)", generation);
      row("  overhead per job", overhead);

      long started = System.nanoTime();
      List<String> ids = new ArrayList<>();
      for (int i = 0; i < burst; i++) {
        String id = "burst-" + UUID.randomUUID();
        ids.add(id);
        producer.send(new ProducerRecord<>(Names.TOPIC_JOB_REQUESTS, id, request(id)));
      }
      producer.flush();
      awaitResults(results, Set.copyOf(ids));
      double seconds = (System.nanoTime() - started) / 1e9;
      System.out.printf("  burst of %d jobs: %.2f s, %.1f jobs/s (consumer concurrency 8)%n", burst, seconds, burst / seconds);
    }
    return 0;
  }

  private String request(String id) {
    return "{\"job_id\":\"" + id + "\",\"question\":\"Write about Kafka\",\"sampling\":{\"temperature\":0,\"max_tokens\":"
        + maxTokens + ",\"ignore_eos\":true}}";
  }

  /** Milliseconds for the same chat over HTTP. */
  private double direct(LocalMesh mesh) throws Exception {
    String body = "{\"model\":\"twin\",\"messages\":[{\"role\":\"user\",\"content\":\"Write about Kafka\"}],"
        + "\"temperature\":0,\"max_tokens\":" + maxTokens + ",\"ignore_eos\":true}";
    long start = System.nanoTime();
    HttpResponse<String> response = http.send(HttpRequest.newBuilder(URI.create(mesh.gatewayUrl() + "/v1/chat/completions"))
        .header("content-type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body)).build(),
        HttpResponse.BodyHandlers.ofString());
    if (response.statusCode() != 200) {
      throw new IllegalStateException("chat completion failed: " + response.body());
    }
    return (System.nanoTime() - start) / 1e6;
  }

  /** {total ms from send to the answer read, generation ms inside the job}. */
  private double[] job(KafkaProducer<String, String> producer, KafkaConsumer<String, String> results) throws Exception {
    String id = "seq-" + UUID.randomUUID();
    long start = System.nanoTime();
    producer.send(new ProducerRecord<>(Names.TOPIC_JOB_REQUESTS, id, request(id)));
    producer.flush();
    JobResult result = awaitResults(results, Set.of(id)).get(id);
    return new double[] {(System.nanoTime() - start) / 1e6, result.timings().generationMs()};
  }

  private static Map<String, JobResult> awaitResults(KafkaConsumer<String, String> results, Set<String> ids) {
    Map<String, JobResult> found = new HashMap<>();
    long deadline = System.nanoTime() + Duration.ofMinutes(5).toNanos();
    while (found.size() < ids.size()) {
      if (System.nanoTime() > deadline) {
        throw new IllegalStateException(found.size() + " of " + ids.size() + " job results within 5 minutes");
      }
      for (ConsumerRecord<String, String> r : results.poll(Duration.ofMillis(1))) {
        if (ids.contains(r.key())) {
          found.put(r.key(), Json.read(r.value(), JobResult.class));
        }
      }
    }
    return found;
  }

  private static void row(String name, double[] ms) {
    double[] sorted = ms.clone();
    Arrays.sort(sorted);
    System.out.printf("  %-34s p50 %8.1f ms   p95 %8.1f ms   mean %8.1f ms%n", name,
        sorted[sorted.length / 2], sorted[(int) Math.min(sorted.length - 1, Math.ceil(sorted.length * 0.95) - 1)],
        Arrays.stream(ms).average().orElse(0));
  }

  private static KafkaProducer<String, String> producer(String bootstrap) {
    Properties p = new Properties();
    p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    p.put(ProducerConfig.ACKS_CONFIG, "all");
    p.put(ProducerConfig.LINGER_MS_CONFIG, 0);
    return new KafkaProducer<>(p, new StringSerializer(), new StringSerializer());
  }

  private static KafkaConsumer<String, String> results(String bootstrap) {
    Properties p = new Properties();
    p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    p.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
    p.put(ConsumerConfig.FETCH_MAX_WAIT_MS_CONFIG, 20);
    KafkaConsumer<String, String> consumer = new KafkaConsumer<>(p, new StringDeserializer(), new StringDeserializer());
    List<TopicPartition> partitions = consumer.partitionsFor(Names.TOPIC_JOB_RESULTS).stream()
        .map(info -> new TopicPartition(Names.TOPIC_JOB_RESULTS, info.partition())).toList();
    consumer.assign(partitions);
    consumer.seekToEnd(partitions);
    partitions.forEach(consumer::position);
    return consumer;
  }
}
