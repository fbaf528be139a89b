package dev.twinmesh.worker;

import dev.twinmesh.worker.checkpoint.Checkpoint;
import dev.twinmesh.worker.checkpoint.ModelConfig;
import dev.twinmesh.worker.checkpoint.ModelConfigs;
import dev.twinmesh.worker.checkpoint.RandomWeightsMarker;
import dev.twinmesh.worker.engine.Engine;
import dev.twinmesh.worker.engine.GenerationBackend;
import dev.twinmesh.worker.model.DjlRuntime;
import dev.twinmesh.worker.model.KvCacheBudget;
import dev.twinmesh.worker.model.LlamaModelRunner;
import dev.twinmesh.worker.model.LlamaModel;
import dev.twinmesh.worker.metrics.WorkerMetrics;
import dev.twinmesh.worker.scheduler.BlockManager;
import dev.twinmesh.worker.scheduler.Scheduler;
import dev.twinmesh.worker.scheduler.SchedulerConfig;
import dev.twinmesh.worker.server.ServedModel;
import dev.twinmesh.worker.server.TokenizerAdapter;
import dev.twinmesh.worker.server.ServingState;
import dev.twinmesh.worker.server.WorkerConfig;
import dev.twinmesh.worker.server.WorkerVerticle;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.time.Duration;
import java.util.HashSet;
import java.util.Set;
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
        MAX_BODY_BYTES, settings.runtime().maxWaiting()), state);
    return vertx.deployVerticle(verticle).compose(id -> vertx.executeBlocking(() -> {
      try {
        LoadedModel loaded = LoadedModel.load(settings);
        AtomicReference<Engine> engineRef = new AtomicReference<>();
        WorkerMetrics metrics = new WorkerMetrics(settings.servedModelName(), () -> engineRef.get().load());
        WorkerSettings.Runtime rt = settings.runtime();
        Engine engine = new Engine(loaded.runner(), loaded.scheduler(), loaded.tokenizer(), loaded.eosTokenIds(),
            new Engine.Limits(rt.maxWaiting(), (long) rt.maxWaiting() * rt.maxModelLen()), metrics);
        engineRef.set(engine);
        WarmUp.run(engine, loaded.tokenizer().encodePrompt("twin-mesh warm-up"));
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

  /** Everything read from a checkpoint directory, ready to serve. */
  record LoadedModel(ServedModel served, LlamaModelRunner runner, Scheduler scheduler, TokenizerAdapter tokenizer,
                     Set<Integer> eosTokenIds, DjlRuntime runtime) {

    static LoadedModel load(WorkerSettings settings) {
      long started = System.nanoTime();
      ModelConfig config = ModelConfigs.load(settings.modelDir());
      TokenizerAdapter tokenizer = TokenizerAdapter.load(settings.modelDir());
      DjlRuntime runtime = DjlRuntime.start(new DjlRuntime.Options(settings.runtime().device(), settings.runtime().threads()));
      try (Checkpoint checkpoint = Checkpoint.open(settings.modelDir())) {
        int maxModelLen = Math.min(settings.runtime().maxModelLen(), config.maxPositionEmbeddings());
        LlamaModel model = LlamaModel.load(settings.modelDir(), checkpoint, config, runtime, maxModelLen);
        Set<Integer> eos = new HashSet<>(config.eosTokenIds());
        eos.addAll(tokenizer.eosTokenIds());
        boolean random = RandomWeightsMarker.isRandom(settings.modelDir());
        ServedModel served = new ServedModel(settings.servedModelName(), settings.modelDir().toString(),
            config.architecture(), config.parameterCount(), maxModelLen, random);
        LOG.info("loaded {} ({}, {} M parameters) on {} in {} ms", settings.modelDir(), config.architecture(),
            config.parameterCount() / 1_000_000, runtime.device(), (System.nanoTime() - started) / 1_000_000);
        if (random) {
          LOG.warn("{}: {}", settings.modelDir(), ServedModel.RANDOM_WEIGHTS_NOTE);
        }
        WorkerSettings.Runtime rt = settings.runtime();
        long kvBytes = KvCacheBudget.bytes(rt.kvCacheBytes(), runtime.device());
        int numBlocks = LlamaModelRunner.blocksFor(kvBytes, rt.blockSize(), config.numHiddenLayers(),
            config.numKeyValueHeads(), config.headDim(), runtime.weightType().getNumOfBytes());
        int blocksForOneRequest = (maxModelLen + rt.blockSize() - 1) / rt.blockSize();
        if (numBlocks < blocksForOneRequest) {
          throw new IllegalArgumentException("the KV cache (" + (kvBytes >> 20) + " MiB, " + numBlocks
              + " blocks) cannot hold one request of --max-model-len " + maxModelLen + " tokens ("
              + blocksForOneRequest + " blocks): raise --kv-cache-memory or lower --max-model-len");
        }
        LOG.info("KV cache: {} blocks of {} tokens ({} MiB, {} tokens)", numBlocks, rt.blockSize(), kvBytes >> 20,
            (long) numBlocks * rt.blockSize());
        Scheduler scheduler = new Scheduler(new SchedulerConfig(rt.maxBatchedTokens(), rt.maxRunning(), maxModelLen),
            new BlockManager(numBlocks, rt.blockSize()));
        return new LoadedModel(served, new LlamaModelRunner(model, numBlocks, rt.blockSize()), scheduler, tokenizer,
            eos, runtime);
      } catch (RuntimeException e) {
        runtime.close();
        throw e;
      }
    }

  }
}
