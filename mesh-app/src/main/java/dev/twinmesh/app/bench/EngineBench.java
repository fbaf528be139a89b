package dev.twinmesh.app.bench;

import dev.twinmesh.common.SamplingParams;
import dev.twinmesh.worker.LoadedModel;
import dev.twinmesh.worker.WorkerSettings;
import dev.twinmesh.worker.engine.Engine;
import dev.twinmesh.worker.engine.EngineMetrics;
import dev.twinmesh.worker.engine.EngineStats;
import dev.twinmesh.worker.engine.GenerationEvent;
import dev.twinmesh.worker.engine.GenerationRequest;
import dev.twinmesh.worker.model.DjlRuntime;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.FutureTask;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * Drives a worker's {@link Engine} directly (no HTTP): at each concurrency, that many requests of random
 * prompt tokens arrive at once and each generates exactly {@code --max-tokens} (ignore_eos). Reports
 * prefill and decode throughput, time to first token and inter-token latency, the engine's time outside
 * the forward pass, and the machine's own GEMM and bandwidth peaks next to the targets they imply.
 */
@Command(name = "engine", mixinStandardHelpOptions = true,
    description = {
        "Benchmarks the gpu-worker engine over a checkpoint directory: single-stream and aggregate decode",
        "tokens/s, prefill tokens/s, TTFT and inter-token latency, engine overhead, KV pool and peak RSS,",
        "against this machine's measured fp32 GEMM FLOP/s and memory bandwidth."})
public final class EngineBench implements Callable<Integer> {

  @Option(names = "--model", required = true, description = "Checkpoint directory.")
  Path model;

  @Option(names = "--prompt-tokens", defaultValue = "256", description = "Prompt length. Default: ${DEFAULT-VALUE}.")
  int promptTokens;

  @Option(names = "--max-tokens", defaultValue = "128", description = "Tokens generated per request. Default: ${DEFAULT-VALUE}.")
  int maxTokens;

  @Option(names = "--concurrency", defaultValue = "1,4,16,32", split = ",",
      description = "Concurrent requests, one run each. Default: ${DEFAULT-VALUE}.")
  List<Integer> concurrency;

  @Option(names = "--threads", defaultValue = "0", description = "Intra-op threads; 0 uses every core. Default: ${DEFAULT-VALUE}.")
  int threads;

  @Option(names = "--device", defaultValue = "auto", description = "auto, cpu or cuda. Default: ${DEFAULT-VALUE}.")
  String device;

  @Option(names = "--max-num-batched-tokens", defaultValue = "2048", description = "Tokens per engine step. Default: ${DEFAULT-VALUE}.")
  int maxBatchedTokens;

  @Option(names = "--seed", defaultValue = "0", description = "Seed of the random prompts. Default: ${DEFAULT-VALUE}.")
  long seed;

  @Option(names = "--out", description = "Directory for engine-bench.json and engine-bench.md.")
  Path out;

  @Override
  public Integer call() throws Exception {
    int maxConcurrency = concurrency.stream().mapToInt(Integer::intValue).max().orElse(1);
    int maxModelLen = Math.max(16, promptTokens + maxTokens);
    WorkerSettings settings = new WorkerSettings(model, "bench", "127.0.0.1", 0, "bench",
        new WorkerSettings.Runtime(device, threads, maxModelLen, maxConcurrency, Math.max(256, maxConcurrency),
            Math.max(maxBatchedTokens, maxConcurrency), 0, WorkerSettings.Runtime.DEFAULT_BLOCK_SIZE));
    String loadBefore = EngineBenchReport.loadAverage();
    LoadedModel loaded = LoadedModel.load(settings);
    try {
      Engine engine = loaded.startEngine(settings.runtime(), EngineMetrics.NONE);
      List<LevelResult> levels = new ArrayList<>();
      try {
        // warm-up (JIT, allocator) on prompts of its own: no level may hit its blocks in the prefix cache
        runLevel(engine, loaded, 1, Math.min(promptTokens, 32), 8, ~seed);
        for (int c : concurrency) {
          System.err.println("concurrency " + c + "...");
          levels.add(runLevel(engine, loaded, c, promptTokens, maxTokens, seed * 1_000_003L + c));
        }
      } finally {
        engine.close();
      }
      System.err.println("measuring GEMM and bandwidth...");
      MachinePeaks peaks = measurePeaks(loaded);
      EngineBenchReport report = new EngineBenchReport(loaded, new ModelCost(loaded.config(),
          loaded.runtime().weightType().getNumOfBytes()), loaded.runtime().engineThreads(), promptTokens,
          maxTokens, peaks, levels, loadBefore, EngineBenchReport.loadAverage(), EngineBenchReport.peakRssBytes());
      report.print(System.out);
      if (out != null) {
        report.write(out);
      }
      return 0;
    } finally {
      loaded.runtime().close();
    }
  }

  /**
   * The machine's peaks with the engine's thread count, measured after the levels on a thread of their
   * own that ends with the measurement: a second thread running multi-threaded PyTorch ops while the
   * engine runs (its OpenMP team outlives the ops) made engine steps up to twice as slow here.
   */
  private MachinePeaks measurePeaks(LoadedModel loaded) throws Exception {
    FutureTask<MachinePeaks> task = new FutureTask<>(() -> {
      DjlRuntime.useIntraOpThreads(threads);
      return MachinePeaks.measure(loaded.runtime().manager());
    });
    Thread thread = new Thread(task, "twin-bench-peaks");
    thread.start();
    thread.join();
    return task.get();
  }

  private LevelResult runLevel(Engine engine, LoadedModel loaded, int c, int prompt, int tokens, long promptSeed)
      throws InterruptedException {
    SplittableRandom random = new SplittableRandom(promptSeed);
    SamplingParams sampling = new SamplingParams(SamplingParams.DEFAULT_TEMPERATURE, SamplingParams.DEFAULT_TOP_P,
        0, 0, 1, 0, 0, seed, List.of(), List.of(), tokens, false, 0, true);
    CountDownLatch done = new CountDownLatch(c);
    List<Stream> streams = new ArrayList<>();
    EngineStats before = engine.stats();
    long cpuBefore = EngineBenchReport.processCpuNanos();
    long faultsBefore = EngineBenchReport.minorFaults();
    long started = System.nanoTime();
    for (int i = 0; i < c; i++) {
      int[] ids = random.ints(prompt, 0, loaded.config().vocabSize()).toArray();
      Stream stream = new Stream(tokens, done);
      streams.add(stream);
      engine.submit(new GenerationRequest("bench-" + c + "-" + i, ids, sampling, tokens, 0, System.nanoTime()),
          stream::accept);
    }
    if (!done.await(30, TimeUnit.MINUTES)) {
      throw new IllegalStateException("concurrency " + c + " did not finish in 30 minutes");
    }
    awaitIdle(engine);
    for (Stream s : streams) {
      if (s.error != null) {
        throw new IllegalStateException("a request failed: " + s.error);
      }
    }
    double cpuShare = (EngineBenchReport.processCpuNanos() - cpuBefore)
        / ((double) (System.nanoTime() - started) * loaded.runtime().engineThreads());
    long faultsAfter = EngineBenchReport.minorFaults();
    return LevelResult.of(c, started, streams, engine.stats().minus(before), cpuShare,
        faultsBefore < 0 || faultsAfter < 0 ? -1 : faultsAfter - faultsBefore);
  }

  /** The step that emitted the last event ends after it: wait until the engine has recorded it. */
  private static void awaitIdle(Engine engine) throws InterruptedException {
    for (int i = 0; i < 200 && engine.load().running() + engine.load().waiting() > 0; i++) {
      Thread.sleep(5);
    }
    Thread.sleep(20);
  }

  /** Arrival times of one request's tokens, written by the engine thread, read after the latch. */
  static final class Stream {
    final long[] tokenNanos;
    final CountDownLatch done;
    int count;
    String error;

    Stream(int maxTokens, CountDownLatch done) {
      this.tokenNanos = new long[maxTokens];
      this.done = done;
    }

    void accept(GenerationEvent event) {
      if (event instanceof GenerationEvent.Token) {
        if (count < tokenNanos.length) {
          tokenNanos[count++] = System.nanoTime();
        }
      } else if (event instanceof GenerationEvent.Failed failed) {
        error = failed.error().getMessage();
        done.countDown();
      } else {
        done.countDown();
      }
    }
  }
}
