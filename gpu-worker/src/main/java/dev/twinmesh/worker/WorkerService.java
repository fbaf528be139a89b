package dev.twinmesh.worker;

import dev.twinmesh.worker.engine.Engine;
import dev.twinmesh.worker.engine.GenerationBackend;
import dev.twinmesh.worker.model.DjlRuntime;
import dev.twinmesh.worker.metrics.GatedEngineMetrics;
import dev.twinmesh.worker.metrics.WorkerMetrics;
import dev.twinmesh.worker.server.ServingState;
import dev.twinmesh.worker.server.WorkerConfig;
import dev.twinmesh.worker.server.WorkerVerticle;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One running worker: the checkpoint loaded onto the device, the engine thread, and the HTTP verticle.
 * Loading happens off the event loop; {@link #close()} stops taking requests, then stops the engine and
 * frees the model.
 */
public final class WorkerService {
  private static final Logger LOG = LoggerFactory.getLogger(WorkerService.class);
  private static final long MAX_BODY_BYTES = 8L << 20;

  private final Vertx vertx;
  private final String deploymentId;
  private final WorkerVerticle verticle;
  private final ServingState state;
  private final Engine engine;
  private final DjlRuntime runtime;

  private WorkerService(Vertx vertx, String deploymentId, WorkerVerticle verticle, ServingState state, Engine engine,
                        DjlRuntime runtime) {
    this.vertx = vertx;
    this.deploymentId = deploymentId;
    this.verticle = verticle;
    this.state = state;
    this.engine = engine;
    this.runtime = runtime;
  }

  /**
   * Listens at once (health answers 503 while loading), loads the checkpoint off the event loop, warms
   * the engine up with one generation, then serves. The future completes when the worker is ready.
   */
  public static Future<WorkerService> start(Vertx vertx, WorkerSettings settings) {
    ServingState state = new ServingState();
    WorkerVerticle verticle = new WorkerVerticle(new WorkerConfig(settings.host(), settings.port(), settings.workerId(),
        MAX_BODY_BYTES), state);
    return vertx.deployVerticle(verticle).compose(id -> vertx.executeBlocking(() -> {
      try {
        LoadedModel loaded = LoadedModel.load(settings);
        AtomicReference<Engine> engineRef = new AtomicReference<>();
        WorkerMetrics metrics = new WorkerMetrics(settings.servedModelName(), () -> engineRef.get().load());
        GatedEngineMetrics afterWarmUp = new GatedEngineMetrics(metrics);
        Engine engine = loaded.startEngine(settings.runtime(), afterWarmUp);
        engineRef.set(engine);
        WarmUp.run(engine, loaded.tokenizer().encodePrompt("twin-mesh warm-up"));
        afterWarmUp.open();
        state.ready(new ServingState.Serving(loaded.served(), loaded.tokenizer(), engine, metrics::scrape));
        return new WorkerService(vertx, id, verticle, state, engine, loaded.runtime());
      } catch (RuntimeException e) {
        state.failed(e.getMessage());
        vertx.undeploy(id);
        throw e;
      }
    }, false));
  }

  /**
   * Graceful drain: health turns 503 and new generations are refused, while running and queued ones
   * finish, for at most {@code timeout}. Then {@link #close()}.
   */
  public void drain(Duration timeout) {
    state.drain();
    long deadline = System.nanoTime() + timeout.toNanos();
    while (System.nanoTime() < deadline) {
      GenerationBackend.EngineLoad load = engine.load();
      if (load.running() == 0 && load.waiting() == 0) {
        return;
      }
      try {
        Thread.sleep(100);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      }
    }
    LOG.warn("drain timed out after {}; stopping with requests still running", timeout);
  }

  public int port() {
    return verticle.actualPort();
  }

  /**
   * Stops taking requests, then stops the engine (running sequences get an error event) and frees the
   * model. Blocks: call it off the event loop. Safe after Vert.x itself was closed.
   */
  public void close() {
    try {
      vertx.undeploy(deploymentId).await(30, TimeUnit.SECONDS);
    } catch (Exception e) {
      LOG.debug("worker verticle already undeployed: {}", e.toString());
    }
    engine.close();
    runtime.close();
  }
}
