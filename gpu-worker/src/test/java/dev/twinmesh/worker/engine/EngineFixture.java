package dev.twinmesh.worker.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.twinmesh.common.SamplingParams;
import dev.twinmesh.worker.checkpoint.Checkpoint;
import dev.twinmesh.worker.checkpoint.ModelConfig;
import dev.twinmesh.worker.checkpoint.ModelPreset;
import dev.twinmesh.worker.checkpoint.RandomCheckpointWriter;
import dev.twinmesh.worker.checkpoint.WriteProgress;
import dev.twinmesh.worker.model.DjlRuntime;
import dev.twinmesh.worker.model.LlamaModel;
import dev.twinmesh.worker.model.LlamaModelRunner;
import dev.twinmesh.worker.scheduler.BlockManager;
import dev.twinmesh.worker.scheduler.Scheduler;
import dev.twinmesh.worker.scheduler.SchedulerConfig;
import dev.twinmesh.worker.scheduler.SchedulerOutput;
import dev.twinmesh.worker.server.TokenizerAdapter;
import dev.twinmesh.worker.tokenizer.TwinTokenizer;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;

/**
 * The tiny random checkpoint loaded once, as {@code WorkerService} assembles it, and engines built on it
 * with chosen pool sizes and budgets. Engines share the model: each gets its own paged cache and a
 * runner whose close leaves the model open.
 */
final class EngineFixture implements AutoCloseable {
  static final int MAX_MODEL_LEN = 256;
  static final long TIMEOUT_SECONDS = 60;

  final ModelConfig config;
  final DjlRuntime runtime;
  final LlamaModel model;
  final TokenizerAdapter tokenizer;
  final Set<Integer> eosTokenIds;
  final TwinTokenizer twinTokenizer;
  private final List<Engine> engines = new ArrayList<>();
  private final AtomicLong requestIds = new AtomicLong();

  private EngineFixture(ModelConfig config, DjlRuntime runtime, LlamaModel model, TokenizerAdapter tokenizer,
                        Set<Integer> eosTokenIds, TwinTokenizer twinTokenizer) {
    this.config = config;
    this.runtime = runtime;
    this.model = model;
    this.tokenizer = tokenizer;
    this.eosTokenIds = eosTokenIds;
    this.twinTokenizer = twinTokenizer;
  }

  static EngineFixture load(Path dir) {
    ModelConfig config = RandomCheckpointWriter.write(ModelPreset.byId("tiny"), dir, 7, "fp32", Long.MAX_VALUE,
        WriteProgress.quiet());
    DjlRuntime runtime = DjlRuntime.start(new DjlRuntime.Options("cpu", 1));
    try (Checkpoint checkpoint = Checkpoint.open(dir)) {
      LlamaModel model = LlamaModel.load(dir, checkpoint, config, runtime, MAX_MODEL_LEN);
      TokenizerAdapter tokenizer = TokenizerAdapter.load(dir);
      Set<Integer> eos = new HashSet<>(config.eosTokenIds());
      eos.addAll(tokenizer.eosTokenIds());
      return new EngineFixture(config, runtime, model, tokenizer, eos, TwinTokenizer.load(dir));
    }
  }

  /** An engine and the parts a test looks into. */
  record Built(Engine engine, Scheduler scheduler, Runner runner, RecordingMetrics metrics) {
    BlockManager blocks() {
      return scheduler.blockManager();
    }
  }

  Built engine(int numBlocks, int blockSize, int maxBatchedTokens, int maxSeqs) {
    return engine(numBlocks, blockSize, maxBatchedTokens, maxSeqs, new Engine.Limits(1000, 1_000_000));
  }

  Built engine(int numBlocks, int blockSize, int maxBatchedTokens, int maxSeqs, Engine.Limits limits) {
    Scheduler scheduler = new Scheduler(new SchedulerConfig(maxBatchedTokens, maxSeqs, MAX_MODEL_LEN),
        new BlockManager(numBlocks, blockSize));
    Runner runner = new Runner(new LlamaModelRunner(model, numBlocks, blockSize));
    RecordingMetrics metrics = new RecordingMetrics();
    Engine engine = new Engine(runner, scheduler, tokenizer, eosTokenIds, limits, metrics);
    engines.add(engine);
    return new Built(engine, scheduler, runner, metrics);
  }

  /** A request id unique within the fixture, arriving now. */
  GenerationRequest request(int[] prompt, SamplingParams sampling) {
    return new GenerationRequest("req-" + requestIds.incrementAndGet(), prompt, sampling, sampling.maxTokens(), 0,
        System.nanoTime());
  }

  /** Random prompt token ids, never a special token. */
  int[] prompt(long seed, int length) {
    Random random = new Random(seed);
    int[] ids = new int[length];
    for (int i = 0; i < length; i++) {
      ids[i] = random.nextInt(config.vocabSize() - 8);
    }
    return ids;
  }

  /** Greedy, fixed length (ignore_eos), with the sampled token ids reported. */
  static SamplingParams greedy(int maxTokens) {
    return sampling(0, null, List.of(), maxTokens, 1);
  }

  static SamplingParams sampling(double temperature, Long seed, List<String> stop, int maxTokens,
                                 double repetitionPenalty) {
    return new SamplingParams(temperature, 1, 0, 0, repetitionPenalty, 0, 0, seed, stop, List.of(), maxTokens, true,
        0, true);
  }

  /** What the full decode of these ids would be: their bytes, special tokens skipped, as one UTF-8 string. */
  String fullDecode(int[] ids) {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    for (int id : ids) {
      bytes.writeBytes(twinTokenizer.tokenDecoder().bytes(id, true));
    }
    return bytes.toString(StandardCharsets.UTF_8);
  }

  /** Waits until the engine is idle and every KV block is back in the pool. */
  static void awaitPoolFull(Built built) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(TIMEOUT_SECONDS);
    while (System.nanoTime() < deadline) {
      GenerationBackend.EngineLoad load = built.engine().load();
      if (load.kvCacheUsage() == 0 && load.running() == 0 && load.waiting() == 0) {
        assertEquals(built.blocks().numBlocks(), built.blocks().numFreeBlocks(), "every block back in the pool");
        return;
      }
      Thread.sleep(10);
    }
    fail("the engine never went idle with an empty cache: " + built.engine().load());
  }

  @Override
  public void close() {
    engines.forEach(Engine::close);
    twinTokenizer.close();
    model.close();
    runtime.close();
  }

  /** Delegates to the real runner; can hold a step at a gate or fail one; never closes the shared model. */
  static final class Runner implements ModelRunner {
    private final LlamaModelRunner delegate;
    private volatile Hold hold = new Hold(CompletableFuture.completedFuture(null), CompletableFuture.completedFuture(null));
    volatile boolean failNext;
    volatile boolean nanNext;
    volatile int maxTokensInStep;
    volatile boolean sawChunkedPrefill;

    Runner(LlamaModelRunner delegate) {
      this.delegate = delegate;
    }

    /** Holds the engine inside its next step until released; {@code entered} completes once it is there. */
    Hold hold() {
      Hold next = new Hold(new CompletableFuture<>(), new CompletableFuture<>());
      hold = next;
      return next;
    }

    record Hold(CompletableFuture<Void> entered, CompletableFuture<Void> release) {
      void awaitEntered() throws Exception {
        entered.get(TIMEOUT_SECONDS, TimeUnit.SECONDS);
      }
    }

    @Override
    public float[][] execute(SchedulerOutput step) {
      Hold current = hold;
      current.entered().complete(null);
      current.release().join();
      maxTokensInStep = Math.max(maxTokensInStep, step.numScheduledTokens());
      if (step.scheduled().stream().anyMatch(s -> !s.samplesToken())) {
        sawChunkedPrefill = true;
      }
      if (failNext) {
        failNext = false;
        throw new IllegalStateException("injected forward failure");
      }
      float[][] logits = delegate.execute(step);
      if (nanNext) {
        nanNext = false;
        for (float[] row : logits) {
          if (row != null) {
            Arrays.fill(row, Float.NaN); // what an fp16 overflow on a GPU looks like
          }
        }
      }
      return logits;
    }

    @Override
    public void close() {
      // the model is shared by the fixture's engines; its manager frees this runner's cache
    }
  }

  /** Counts what the engine reports; called on the engine thread, read by the test. */
  static final class RecordingMetrics implements EngineMetrics {
    final AtomicLong promptTokens = new AtomicLong();
    final AtomicLong generationTokens = new AtomicLong();
    final AtomicLong preemptions = new AtomicLong();
    final AtomicLong prefixQueries = new AtomicLong();
    final AtomicLong prefixHits = new AtomicLong();
    final List<String> finishReasons = new CopyOnWriteArrayList<>();

    @Override public void promptTokens(int tokens) { promptTokens.addAndGet(tokens); }
    @Override public void generationToken(long gapNanos) { generationTokens.incrementAndGet(); }
    @Override public void requestFinished(String reason, long queueNanos, long ttftNanos, long e2eNanos) {
      finishReasons.add(reason);
    }
    @Override public void preempted(int sequences) { preemptions.addAndGet(sequences); }
    @Override public void prefixCache(int queriedTokens, int hitTokens) {
      prefixQueries.addAndGet(queriedTokens);
      prefixHits.addAndGet(hitTokens);
    }
  }

  /** Collects one request's events thread-safely; completes on its single end event. */
  static class Collector implements Consumer<GenerationEvent> {
    final List<GenerationEvent> events = new CopyOnWriteArrayList<>();
    final CompletableFuture<GenerationEvent> end = new CompletableFuture<>();
    final AtomicLong eventsAfterEnd = new AtomicLong();

    @Override
    public void accept(GenerationEvent event) {
      if (end.isDone()) {
        eventsAfterEnd.incrementAndGet();
      }
      events.add(event);
      if (event instanceof GenerationEvent.Finished || event instanceof GenerationEvent.Failed) {
        end.complete(event);
      }
    }

    GenerationEvent.Finished finished() throws Exception {
      GenerationEvent last = end.get(TIMEOUT_SECONDS, TimeUnit.SECONDS);
      if (!(last instanceof GenerationEvent.Finished f)) {
        throw new AssertionError("expected the request to finish, got " + last);
      }
      assertEquals(0, eventsAfterEnd.get(), "no event after the end");
      return f;
    }

    List<GenerationEvent.Token> tokens() {
      return events.stream().filter(GenerationEvent.Token.class::isInstance).map(GenerationEvent.Token.class::cast).toList();
    }

    /** Streamed text plus what the end released. */
    String text() throws Exception {
      StringBuilder text = new StringBuilder();
      tokens().forEach(t -> text.append(t.text()));
      return text.append(finished().heldText()).toString();
    }

    int[] tokenIds() {
      List<GenerationEvent.Token> tokens = tokens();
      int[] ids = new int[tokens.size()];
      for (int i = 0; i < ids.length; i++) {
        assertTrue(tokens.get(i).sampled() != null, "logprobs were asked for");
        ids[i] = tokens.get(i).sampled().tokenId();
      }
      return ids;
    }
  }

  /** One request's result, for comparing runs. */
  record Result(String text, int[] tokenIds, int completionTokens, String finishReason, int cachedPromptTokens) {
    static Result of(Collector c) throws Exception {
      GenerationEvent.Finished f = c.finished();
      return new Result(c.text(), c.tokenIds(), f.completionTokens(), f.finishReason(), f.cachedPromptTokens());
    }
  }
}
