package dev.twinmesh.worker;

import dev.twinmesh.worker.checkpoint.Checkpoint;
import dev.twinmesh.worker.checkpoint.ModelConfig;
import dev.twinmesh.worker.checkpoint.ModelConfigs;
import dev.twinmesh.worker.checkpoint.RandomWeightsMarker;
import dev.twinmesh.worker.engine.Engine;
import dev.twinmesh.worker.engine.EngineMetrics;
import dev.twinmesh.worker.model.DjlRuntime;
import dev.twinmesh.worker.model.KvCacheBudget;
import dev.twinmesh.worker.model.LlamaModel;
import dev.twinmesh.worker.model.LlamaModelRunner;
import dev.twinmesh.worker.scheduler.BlockManager;
import dev.twinmesh.worker.scheduler.Scheduler;
import dev.twinmesh.worker.scheduler.SchedulerConfig;
import dev.twinmesh.worker.server.ServedModel;
import dev.twinmesh.worker.server.TokenizerAdapter;
import java.util.HashSet;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Everything read from a checkpoint directory, ready to serve: the one way a worker (and the engine
 * benchmark) assembles model, KV cache, scheduler and tokenizer. {@link #startEngine} puts an
 * {@link Engine} thread on top; the engine owns the runner from then on, the caller the runtime.
 *
 * @param kvCacheBlocks blocks of {@code blockSize} tokens in the paged KV cache
 */
public record LoadedModel(ServedModel served, ModelConfig config, LlamaModelRunner runner, Scheduler scheduler,
                          TokenizerAdapter tokenizer, Set<Integer> eosTokenIds, DjlRuntime runtime,
                          int kvCacheBlocks, int blockSize) {
  private static final Logger LOG = LoggerFactory.getLogger(LoadedModel.class);

  /** Loads the checkpoint onto the device and sizes the KV cache. Blocking: call it off the event loop. */
  public static LoadedModel load(WorkerSettings settings) {
    long started = System.nanoTime();
    ModelConfig config = ModelConfigs.load(settings.modelDir());
    TokenizerAdapter tokenizer = TokenizerAdapter.load(settings.modelDir());
    DjlRuntime runtime = DjlRuntime.start(new DjlRuntime.Options(settings.runtime().device(), settings.runtime().threads()));
    try (Checkpoint checkpoint = Checkpoint.open(settings.modelDir())) {
      int maxModelLen = Math.min(settings.runtime().maxModelLen(), config.maxPositionEmbeddings());
      LlamaModel model = LlamaModel.load(settings.modelDir(), checkpoint, config, runtime, maxModelLen);
      model.releaseReferenceWeights(); // the engine runs the paged path only
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
      int numBlocks = LlamaModelRunner.blocksFor(kvBytes, rt.blockSize(), config, runtime.weightType().getNumOfBytes());
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
      return new LoadedModel(served, config, new LlamaModelRunner(model, numBlocks, rt.blockSize(), rt.threads()), scheduler,
          tokenizer, eos, runtime, numBlocks, rt.blockSize());
    } catch (RuntimeException e) {
      runtime.close();
      throw e;
    }
  }

  /** Starts the engine thread over this model, with the worker's admission limits. */
  public Engine startEngine(WorkerSettings.Runtime rt, EngineMetrics metrics) {
    return new Engine(runner, scheduler, tokenizer, eosTokenIds,
        new Engine.Limits(rt.maxWaiting(), (long) rt.maxWaiting() * rt.maxModelLen()), metrics);
  }

  /** Bytes of the paged KV cache: keys and values of every layer for every slot. */
  public long kvCacheBytes() {
    return 2L * config.numHiddenLayers() * kvCacheBlocks * blockSize * config.numKeyValueHeads() * config.headDim()
        * runtime.weightType().getNumOfBytes();
  }
}
