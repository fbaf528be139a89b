package dev.twinmesh.worker;

import dev.twinmesh.worker.engine.Engine;
import dev.twinmesh.worker.model.DjlRuntime;
import dev.twinmesh.worker.metrics.WorkerMetrics;
import dev.twinmesh.worker.server.WorkerConfig;
import dev.twinmesh.worker.server.WorkerVerticle;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
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
  private final Engine engine;
  private final DjlRuntime runtime;

  private WorkerService(Vertx vertx, String deploymentId, WorkerVerticle verticle, Engine engine, DjlRuntime runtime) {
    this.vertx = vertx;
    this.deploymentId = deploymentId;
    this.verticle = verticle;
    this.engine = engine;
    this.runtime = runtime;
  }

  public static Future<WorkerService> start(Vertx vertx, WorkerSettings settings) {
    return vertx.executeBlocking(() -> LoadedModel.load(settings), false)
        .compose(loaded -> {
          AtomicReference<Engine> engineRef = new AtomicReference<>();
          WorkerMetrics metrics = new WorkerMetrics(settings.servedModelName(), () -> engineRef.get().load());
          Engine engine = loaded.startEngine(settings.runtime(), metrics);
          engineRef.set(engine);
          WorkerVerticle verticle = new WorkerVerticle(
              new WorkerConfig(settings.host(), settings.port(), settings.workerId(), MAX_BODY_BYTES, settings.runtime().maxWaiting()),
              loaded.served(), loaded.tokenizer(), engine, metrics::scrape);
          return vertx.deployVerticle(verticle)
              .map(id -> new WorkerService(vertx, id, verticle, engine, loaded.runtime()))
              .onFailure(e -> {
                engine.close();
                loaded.runtime().close();
              });
        });
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
