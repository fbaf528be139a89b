package dev.twinmesh.app;

import dev.twinmesh.gateway.GatewayConfig;
import dev.twinmesh.gateway.GatewayVerticle;
import dev.twinmesh.gateway.jobs.JobsConfig;
import dev.twinmesh.gateway.jobs.JobsRoutes;
import dev.twinmesh.gateway.jobs.JobsService;
import dev.twinmesh.gateway.metrics.BusinessMetrics;
import dev.twinmesh.common.Names;
import java.nio.file.Path;
import dev.twinmesh.gateway.trace.TracePublisher;
import dev.twinmesh.rag.RagConfig;
import dev.twinmesh.rag.RagServices;
import io.vertx.core.Vertx;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(name = "gateway", mixinStandardHelpOptions = true,
    description = {
        "Runs the business service: the gateway verticle (OpenAI-compatible API with SSE streaming,",
        "authentication, routing to workers, trace publishing to Kafka) and the RAG verticle that builds",
        "the twin's prompts. Workers are any OpenAI-compatible servers: twin-mesh workers, vLLM or TGI."})
final class GatewayCommand implements Callable<Integer> {

  @Option(names = "--worker", split = ",", defaultValue = "${env:TWIN_MESH_WORKERS}",
      description = "Worker base URLs, comma-separated or repeated (default http://127.0.0.1:8081 when no --worker-dns).")
  List<URI> workers;

  @Option(names = "--worker-dns", defaultValue = "${env:TWIN_MESH_WORKER_DNS}",
      description = "host:port whose addresses are the workers (a Kubernetes headless service), re-resolved periodically.")
  String workerDns;

  @Option(names = "--cors-origin", split = ",", defaultValue = "${env:TWIN_MESH_CORS_ORIGINS}",
      description = "Origins allowed to call the API from a browser, comma-separated.")
  List<String> corsOrigins;

  @Option(names = "--max-in-flight", defaultValue = "${env:TWIN_MESH_MAX_IN_FLIGHT:-8192}",
      description = "Generations in flight for the whole gateway; past it, 429. Default: ${DEFAULT-VALUE}.")
  int maxInFlight;

  @Option(names = "--max-in-flight-per-key", defaultValue = "${env:TWIN_MESH_MAX_IN_FLIGHT_PER_KEY:-8192}",
      description = "Generations in flight per API key; past it, 429. Default: ${DEFAULT-VALUE}.")
  int maxInFlightPerKey;

  @Option(names = "--kafka", defaultValue = "${env:KAFKA_BOOTSTRAP_SERVERS:-127.0.0.1:9092}",
      description = "Kafka bootstrap servers for traces. Default: ${DEFAULT-VALUE}.")
  String kafka;

  @Option(names = "--served-model-name", split = ",", defaultValue = "${env:TWIN_MESH_MODEL_NAME:-twin}",
      description = "Model names clients may ask for. Default: ${DEFAULT-VALUE}.")
  Set<String> servedModels;

  @Option(names = "--host", defaultValue = "${env:TWIN_MESH_HOST:-0.0.0.0}", description = "Bind address. Default: ${DEFAULT-VALUE}.")
  String host;

  @Option(names = "--port", defaultValue = "${env:TWIN_MESH_PORT:-8080}", description = "Port. Default: ${DEFAULT-VALUE}.")
  int port;

  @Option(names = "--max-body-bytes", defaultValue = "1048576", description = "Largest request body. Default: ${DEFAULT-VALUE}.")
  long maxBodyBytes;

  @Option(names = "--rag-data-dir", defaultValue = "${env:RAG_DATA_DIR:-rag-data}",
      description = "Where the embedded vector store and the author directory live (RAG_STORE=qdrant uses QDRANT_URL instead). Default: ${DEFAULT-VALUE}.")
  Path ragDataDir;

  @Mixin
  ApiKeyOptions apiKeys;

  private List<URI> staticWorkers() {
    return workers != null ? workers : workerDns == null ? List.of(URI.create("http://127.0.0.1:8081")) : List.of();
  }

  /** A worker to count tokens with: the first static one, or the DNS name's service address. */
  private URI staticWorkersOrDns() {
    List<URI> known = staticWorkers();
    return known.isEmpty() ? URI.create("http://" + workerDns) : known.get(0);
  }

  @Option(names = "--jobs", negatable = true, defaultValue = "${env:TWIN_MESH_JOBS:-true}", fallbackValue = "true",
      description = "Consume async generation jobs from twin.jobs.requests.v1 (group twin-jobs). Default: ${DEFAULT-VALUE}.")
  boolean jobsEnabled;

  @Option(names = "--jobs-concurrency", defaultValue = "${env:TWIN_MESH_JOBS_CONCURRENCY:-8}",
      description = "Jobs generating at once; past it the consumer pauses. Default: ${DEFAULT-VALUE}.")
  int jobsConcurrency;

  @Option(names = "--trace-spool-dir", defaultValue = "${env:TWIN_MESH_TRACE_SPOOL:-${sys:java.io.tmpdir}/twin-mesh/trace-spool}",
      description = "Where traces wait on disk while Kafka is unreachable. Default: ${DEFAULT-VALUE}.")
  Path traceSpoolDir;

  @Option(names = "--trace-sample-rate", defaultValue = "${env:TWIN_MESH_TRACE_SAMPLE_RATE:-1.0}",
      description = "Share of successful generations traced, 0 to 1 (failed ones always are). Default: ${DEFAULT-VALUE}.")
  double traceSampleRate;

  @Override
  public Integer call() throws Exception {
    Vertx vertx = Vertx.vertx();
    TracePublisher traces = new TracePublisher(kafka, Names.TOPIC_TRACES, TracePublisher.Options.defaults()
        .withSpoolDir(traceSpoolDir).withSampleRate(traceSampleRate));
    String instance = System.getenv().getOrDefault("HOSTNAME", "gateway");
    JobsService jobs = new JobsService(vertx, JobsConfig.of(kafka, servedModels.iterator().next())
        .withInstanceId(instance).withConcurrency(jobsConcurrency)
        .withApiKey(apiKeys.keys().stream().findFirst().orElse(null)));
    BusinessMetrics metrics = new BusinessMetrics().traces(traces);
    RagConfig ragConfig = RagConfig.fromEnv(System.getenv(), ragDataDir);
    RagServices rag = RagServices.open(vertx, ragConfig, TokenCounters.remote(staticWorkersOrDns()));
    vertx.deployVerticle(rag.verticle()).await(1, TimeUnit.MINUTES);
    vertx.deployVerticle(rag.ingestVerticle()).await(1, TimeUnit.MINUTES);
    List<URI> staticWorkers = staticWorkers();
    GatewayConfig.Limits defaults = GatewayConfig.Limits.defaults();
    GatewayConfig.Limits limits = new GatewayConfig.Limits(maxInFlight, maxInFlightPerKey, defaults.healthInterval(),
        defaults.ejectAfterFailures(), defaults.keepAliveInterval());
    GatewayVerticle gateway = new GatewayVerticle(new GatewayConfig(host, port, staticWorkers, servedModels, maxBodyBytes,
        apiKeys.keys(), Duration.ofSeconds(10), System.getenv().getOrDefault("HOSTNAME", "gateway"), limits,
        corsOrigins, workerDns), traces::publish).withRoutes(metrics::mount);
    metrics.gateway(gateway);
    if (jobsEnabled) {
      metrics.jobs(jobs);
      gateway.withRoutes(new JobsRoutes(jobs)::mount);
    }
    vertx.deployVerticle(gateway).await(1, TimeUnit.MINUTES);
    if (jobsEnabled) {
      // Loopback: the jobs consumer calls this very gateway, so jobs get the same validation, RAG and routing.
      jobs.start("http://127.0.0.1:" + gateway.actualPort());
    }
    System.out.println("gateway on http://" + host + ":" + gateway.actualPort() + " -> "
        + (workerDns != null ? workerDns : Arrays.toString(staticWorkers.toArray())));
    return jobsEnabled ? ServiceRunner.runUntilStopped(vertx, jobs, traces, rag)
        : ServiceRunner.runUntilStopped(vertx, traces, rag);
  }
}
