package dev.twinmesh.app;

import dev.twinmesh.common.Names;
import dev.twinmesh.embedded.EmbeddedKafka;
import dev.twinmesh.embedded.EmbeddedPostgresServer;
import dev.twinmesh.gateway.GatewayConfig;
import dev.twinmesh.gateway.GatewayVerticle;
import dev.twinmesh.gateway.jobs.JobsConfig;
import dev.twinmesh.gateway.jobs.JobsRoutes;
import dev.twinmesh.gateway.jobs.JobsService;
import dev.twinmesh.gateway.metrics.BusinessMetrics;
import dev.twinmesh.gateway.trace.TracePublisher;
import dev.twinmesh.monitoring.MonitoringConfig;
import dev.twinmesh.monitoring.MonitoringVerticle;
import dev.twinmesh.rag.RagConfig;
import dev.twinmesh.rag.RagServices;
import dev.twinmesh.worker.WorkerService;
import dev.twinmesh.worker.WorkerSettings;
import io.vertx.core.Vertx;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The whole mesh in one JVM on embedded defaults: a KRaft broker, PostgreSQL, one worker on the CPU,
 * the gateway and RAG verticles, and the monitoring consumer. What {@code twin-mesh up} runs, and what
 * the end-to-end tests drive. Everything started is closed in reverse order.
 */
public final class LocalMesh implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(LocalMesh.class);
  private static final Duration START_TIMEOUT = Duration.ofMinutes(5);

  /**
   * @param modelDir a Hugging Face checkpoint, or null for the random checkpoint generated in the data dir
   * @param ports    0 picks a free port
   */
  public record Settings(Path dataDir, Path modelDir, String randomPreset, String servedModelName,
                         String host, int gatewayPort, int workerPort, int monitorPort, int kafkaPort,
                         int postgresPort, WorkerSettings.Runtime runtime, Set<String> apiKeys) {}

  private final Deque<AutoCloseable> started = new ArrayDeque<>();
  private final Vertx vertx = Vertx.vertx();
  private String gatewayUrl;
  private String workerUrl;
  private String monitorUrl;
  private String kafkaBootstrap;
  private Path modelDir;
  private RagServices rag;
  private JobsService jobs;

  private LocalMesh() {}

  public static LocalMesh start(Settings settings) {
    LocalMesh mesh = new LocalMesh();
    try {
      mesh.startAll(settings);
    } catch (RuntimeException | Error e) {
      // an Error too (a class missing from the jar): else the broker's threads keep a failed 'up' alive
      mesh.closeVertxFirst();
      mesh.close();
      throw e;
    }
    mesh.closeVertxFirst();
    return mesh;
  }

  /**
   * Vert.x closes before everything else: the verticles stop taking requests and the monitoring
   * consumer leaves its group while Kafka and PostgreSQL are still up.
   */
  private void closeVertxFirst() {
    started.push(() -> {
      if (jobs != null) {
        jobs.close();
      }
      vertx.close().await(30, TimeUnit.SECONDS);
    });
  }

  private void startAll(Settings s) {
    EmbeddedKafka kafka = new EmbeddedKafka();
    started.push(kafka);
    kafkaBootstrap = kafka.start(s.dataDir().resolve("kafka"), s.kafkaPort());
    kafka.createTopics(Map.of(Names.TOPIC_TRACES, 3, Names.TOPIC_JOB_REQUESTS, 3,
        Names.TOPIC_JOB_RESULTS, 3, Names.TOPIC_JOB_DLQ, 1));

    EmbeddedPostgresServer postgres = new EmbeddedPostgresServer();
    started.push(postgres);
    postgres.start(s.dataDir().resolve("postgres"), s.postgresPort());

    modelDir = s.modelDir() != null ? s.modelDir()
        : RandomModels.ensure(s.dataDir().resolve("models").resolve(s.randomPreset()), s.randomPreset());

    WorkerService worker = await(WorkerService.start(vertx, new WorkerSettings(modelDir, s.servedModelName(),
        s.host(), s.workerPort(), "worker-0", s.runtime())));
    started.push(worker::close);
    workerUrl = "http://" + s.host() + ":" + worker.port();

    MonitoringVerticle monitor = new MonitoringVerticle(new MonitoringConfig(kafkaBootstrap, "twin-monitoring",
        Names.TOPIC_TRACES, postgres.host(), postgres.port(), postgres.database(), postgres.user(),
        postgres.password(), s.monitorPort()));
    await(vertx.deployVerticle(monitor));
    monitorUrl = "http://" + s.host() + ":" + monitor.actualHttpPort();

    TracePublisher traces = new TracePublisher(kafkaBootstrap, Names.TOPIC_TRACES,
        TracePublisher.Options.defaults().withSpoolDir(s.dataDir().resolve("trace-spool")));
    started.push(traces);
    RagConfig ragConfig = RagConfig.fromEnv(System.getenv(), s.dataDir().resolve("rag"));
    if (ragConfig.expansionUrl() == null) {
      // the twin's own worker writes the query variants unless another endpoint is configured
      ragConfig = ragConfig.withExpansion(workerUrl + "/v1", s.servedModelName(), ragConfig.expandN(),
          ragConfig.expansionTimeout());
    }
    rag = RagServices.open(vertx, ragConfig, TokenCounters.local(modelDir));
    started.push(rag);
    await(vertx.deployVerticle(rag.verticle()));
    await(vertx.deployVerticle(rag.ingestVerticle()));
    jobs = new JobsService(vertx, JobsConfig.of(kafkaBootstrap, s.servedModelName())
        .withApiKey(s.apiKeys().stream().findFirst().orElse(null)));
    BusinessMetrics metrics = new BusinessMetrics().traces(traces).jobs(jobs);
    GatewayVerticle gateway = new GatewayVerticle(GatewayConfig.of(s.host(), s.gatewayPort(),
        List.of(URI.create(workerUrl)), Set.of(s.servedModelName()), s.apiKeys()), traces::publish)
        .withRoutes(new JobsRoutes(jobs)::mount)
        .withRoutes(metrics::mount);
    metrics.gateway(gateway);
    await(vertx.deployVerticle(gateway));
    gatewayUrl = "http://" + s.host() + ":" + gateway.actualPort();
    await(jobs.start(gatewayUrl));
    LOG.info("twin-mesh is up: gateway {}, worker {}, monitoring {}, kafka {}", gatewayUrl, workerUrl, monitorUrl, kafkaBootstrap);
  }

  public String gatewayUrl() { return gatewayUrl; }
  public String workerUrl() { return workerUrl; }
  public String monitorUrl() { return monitorUrl; }
  public String kafkaBootstrap() { return kafkaBootstrap; }
  public Path modelDir() { return modelDir; }
  public Vertx vertx() { return vertx; }
  /** The retrieval side: its ingestor fills the store that answers use. */
  public RagServices rag() { return rag; }
  public JobsService jobs() { return jobs; }

  private static <T> T await(io.vertx.core.Future<T> future) {
    try {
      return future.await(START_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
    } catch (Exception e) {
      throw new IllegalStateException("twin-mesh could not start: " + e.getMessage(), e);
    }
  }

  @Override
  public void close() {
    while (!started.isEmpty()) {
      AutoCloseable part = started.pop();
      try {
        part.close();
      } catch (Exception e) {
        LOG.warn("while stopping: {}", e.toString());
      }
    }
  }
}
