package dev.twinmesh.app;

import dev.twinmesh.common.TraceRecord;
import dev.twinmesh.gateway.GatewayConfig;
import dev.twinmesh.gateway.GatewayVerticle;
import dev.twinmesh.rag.ContextRetriever;
import dev.twinmesh.rag.PromptTemplates;
import dev.twinmesh.rag.RagVerticle;
import dev.twinmesh.worker.WorkerService;
import dev.twinmesh.worker.WorkerSettings;
import dev.twinmesh.worker.checkpoint.ModelPreset;
import dev.twinmesh.worker.checkpoint.RandomCheckpointWriter;
import dev.twinmesh.worker.checkpoint.WriteProgress;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import java.util.stream.Stream;

/**
 * The serving path of the mesh for one test class, without Kafka or PostgreSQL: tiny-preset workers on
 * the CPU, the RAG verticle (no retrieval), and any number of gateways in front of them whose traces are
 * collected in memory. The tiny checkpoint is written once per JVM.
 */
final class TestMesh implements AutoCloseable {
  static final String MODEL = "twin";
  private static Path checkpoint;

  private final Vertx vertx = Vertx.vertx();
  private final List<WorkerService> workers = new ArrayList<>();
  private final List<String> workerUrls = new ArrayList<>();
  private final List<Boolean> stopped = new ArrayList<>();
  final List<TraceRecord> traces = new CopyOnWriteArrayList<>();

  private TestMesh() {}

  /** {@code workerCount} tiny workers, one model thread each, and the RAG verticle. */
  static TestMesh start(int workerCount, WorkerSettings.Runtime runtime) {
    TestMesh mesh = new TestMesh();
    try {
      Path model = tinyCheckpoint();
      for (int i = 0; i < workerCount; i++) {
        WorkerService worker = await(WorkerService.start(mesh.vertx,
            new WorkerSettings(model, MODEL, "127.0.0.1", 0, "worker-" + i, runtime)));
        mesh.workers.add(worker);
        mesh.workerUrls.add("http://127.0.0.1:" + worker.port());
        mesh.stopped.add(false);
      }
      await(mesh.vertx.deployVerticle(new RagVerticle(ContextRetriever.none(), PromptTemplates.builtIn())));
      return mesh;
    } catch (RuntimeException e) {
      mesh.close();
      throw e;
    }
  }

  /** A runtime on one thread with room for long answers: what most tests use. */
  static WorkerSettings.Runtime runtime() {
    return new WorkerSettings.Runtime("cpu", 1, 2048, 8, 64);
  }

  static synchronized Path tinyCheckpoint() {
    if (checkpoint == null) {
      try {
        Path dir = Files.createTempDirectory("twin-tiny-");
        Runtime.getRuntime().addShutdownHook(new Thread(() -> deleteTree(dir)));
        RandomCheckpointWriter.write(ModelPreset.byId("tiny"), dir, 7, "fp32", Long.MAX_VALUE, WriteProgress.quiet());
        checkpoint = dir;
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
    return checkpoint;
  }

  /** A gateway in front of every worker of this mesh, with the given limits and keys; returns its URL. */
  String gateway(GatewayConfig.Limits limits, Set<String> apiKeys, long maxBodyBytes) {
    return gateway(workerUrls.stream().map(URI::create).toList(), limits, apiKeys, maxBodyBytes);
  }

  String gateway(List<URI> workerUris, GatewayConfig.Limits limits, Set<String> apiKeys, long maxBodyBytes) {
    GatewayConfig config = new GatewayConfig("127.0.0.1", 0, workerUris, Set.of(MODEL), maxBodyBytes, apiKeys,
        Duration.ofSeconds(10), "gateway-test", limits, List.of(), null);
    GatewayVerticle gateway = new GatewayVerticle(config, traces::add);
    await(vertx.deployVerticle(gateway));
    return "http://127.0.0.1:" + gateway.actualPort();
  }

  /** A gateway with default limits, no keys and the default body limit. */
  String gateway() {
    return gateway(GatewayConfig.Limits.defaults(), Set.of(), GatewayConfig.DEFAULT_MAX_BODY_BYTES);
  }

  /** Limits with a fast health check, so tests see a stopped worker leave the pool quickly. */
  static GatewayConfig.Limits limits(int maxInFlight, int maxInFlightPerKey) {
    return new GatewayConfig.Limits(maxInFlight, maxInFlightPerKey, Duration.ofMillis(250), 3, Duration.ofSeconds(5));
  }

  String workerUrl(int i) {
    return workerUrls.get(i);
  }

  String workerId(int i) {
    return URI.create(workerUrls.get(i)).getHost() + ":" + URI.create(workerUrls.get(i)).getPort();
  }

  /** Stops one worker the way a crashed pod goes: its listener and connections close, its engine stops. */
  void stopWorker(int i) {
    stopped.set(i, true);
    workers.get(i).close();
  }

  Vertx vertx() {
    return vertx;
  }

  /** The worker's {@code /info} load: {waiting, running, kv_cache_usage}. */
  JsonObject load(int i) {
    try {
      HttpResponse<String> info = MeshHttp.get(workerUrls.get(i) + "/info");
      return new JsonObject(info.body()).getJsonObject("load");
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  int running(int i) {
    return load(i).getInteger("running");
  }

  /** Polls the worker's load until {@code condition} holds; returns how long it took, or fails. */
  Duration awaitLoad(int i, Predicate<JsonObject> condition, Duration timeout, String what) throws InterruptedException {
    long started = System.nanoTime();
    JsonObject last = null;
    while (System.nanoTime() - started < timeout.toNanos()) {
      last = load(i);
      if (condition.test(last)) {
        return Duration.ofNanos(System.nanoTime() - started);
      }
      Thread.sleep(20);
    }
    throw new AssertionError(what + " within " + timeout + "; worker load is " + last);
  }

  /** The trace of {@code traceId}; traces are published when a request ends, so this waits briefly. */
  TraceRecord trace(String traceId) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (System.nanoTime() < deadline) {
      for (TraceRecord trace : traces) {
        if (trace.traceId().equals(traceId)) {
          return trace;
        }
      }
      Thread.sleep(10);
    }
    throw new AssertionError("no trace " + traceId + " among " + traces.size());
  }

  @Override
  public void close() {
    for (int i = 0; i < workers.size(); i++) {
      if (!stopped.get(i)) {
        try {
          workers.get(i).close();
        } catch (Exception e) {
          // closing anyway
        }
      }
    }
    try {
      vertx.close().await(30, TimeUnit.SECONDS);
    } catch (Exception e) {
      // closing anyway
    }
  }

  static <T> T await(Future<T> future) {
    try {
      return future.await(2, TimeUnit.MINUTES);
    } catch (Exception e) {
      throw new IllegalStateException(e.getMessage(), e);
    }
  }

  private static void deleteTree(Path root) {
    try (Stream<Path> paths = Files.walk(root)) {
      paths.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    } catch (IOException e) {
      // a temp dir left behind
    }
  }
}
