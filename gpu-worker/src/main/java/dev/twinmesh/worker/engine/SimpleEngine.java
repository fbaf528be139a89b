package dev.twinmesh.worker.engine;

import dev.twinmesh.common.ApiException;
import dev.twinmesh.worker.sampling.Sample;
import dev.twinmesh.worker.sampling.Sampler;
import dev.twinmesh.worker.sampling.SamplingState;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Set;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The first engine: one dedicated thread that takes requests in arrival order and advances every
 * running sequence by one forward pass per round (its prompt first, then one token at a time), each over
 * its own contiguous KV cache. The event loop only enqueues and receives events.
 */
public final class SimpleEngine implements GenerationBackend, AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(SimpleEngine.class);

  private final ModelExecutor model;
  private final Sampler sampler = new Sampler();
  private final TokenTextDecoder decoder;
  private final Set<Integer> eosTokenIds;
  private final EngineMetrics metrics;
  private final int maxRunning;
  private final int maxWaiting;
  private final LinkedBlockingQueue<Running> waiting = new LinkedBlockingQueue<>();
  private final AtomicInteger runningCount = new AtomicInteger();
  private final Thread thread;
  private volatile boolean stopping;

  public SimpleEngine(ModelExecutor model, TokenTextDecoder decoder, Set<Integer> eosTokenIds,
                      int maxRunning, int maxWaiting, EngineMetrics metrics) {
    this.metrics = metrics;
    this.model = model;
    this.decoder = decoder;
    this.eosTokenIds = Set.copyOf(eosTokenIds);
    this.maxRunning = maxRunning;
    this.maxWaiting = maxWaiting;
    this.thread = new Thread(this::loop, "twin-engine");
    this.thread.setDaemon(true);
    this.thread.start();
  }

  @Override
  public GenerationHandle submit(GenerationRequest request, Consumer<GenerationEvent> events) {
    if (stopping) {
      throw ApiException.unavailable("the worker is shutting down", 5);
    }
    if (waiting.size() >= maxWaiting) {
      throw ApiException.unavailable("the worker's queue is full (" + maxWaiting + " waiting); retry shortly", 1);
    }
    Running sequence = new Running(request, events);
    waiting.add(sequence);
    return () -> sequence.cancelled = true;
  }

  @Override
  public EngineLoad load() {
    return new EngineLoad(waiting.size(), runningCount.get(), 0);
  }

  private void loop() {
    List<Running> running = new ArrayList<>();
    while (!stopping) {
      try {
        admit(running);
        if (running.isEmpty()) {
          continue;
        }
        for (Iterator<Running> it = running.iterator(); it.hasNext(); ) {
          Running sequence = it.next();
          if (step(sequence)) {
            sequence.cache.close();
            it.remove();
          }
        }
        runningCount.set(running.size());
      } catch (InterruptedException e) {
        break;
      }
    }
    running.forEach(s -> s.fail(ApiException.unavailable("the worker stopped", 5)));
    waiting.forEach(s -> s.fail(ApiException.unavailable("the worker stopped", 5)));
  }

  /** Moves waiting requests into the running set; blocks briefly when there is nothing to do. */
  private void admit(List<Running> running) throws InterruptedException {
    if (running.isEmpty()) {
      Running first = waiting.poll(100, TimeUnit.MILLISECONDS);
      if (first == null) {
        return;
      }
      start(first, running);
    }
    Running next;
    while (running.size() < maxRunning && (next = waiting.poll()) != null) {
      start(next, running);
    }
    runningCount.set(running.size());
  }

  private void start(Running sequence, List<Running> running) {
    if (sequence.cancelled) {
      return;
    }
    GenerationRequest request = sequence.request;
    sequence.queueNanos = System.nanoTime() - request.arrivalNanos();
    metrics.promptTokens(request.promptTokenIds().length);
    sequence.length = request.promptTokenIds().length;
    sequence.cache = model.newCache(request.promptTokenIds().length + request.maxTokens());
    sequence.output = new SequenceOutput(decoder, request.sampling(), request.maxTokens(), eosTokenIds);
    sequence.sampling = new SamplingState(request.sampling(), request.promptTokenIds());
    running.add(sequence);
  }

  /** One forward pass for one sequence; true when it has left (finished, failed or cancelled). */
  private boolean step(Running sequence) {
    if (sequence.cancelled) {
      sequence.report("abort", metrics);
      return true;
    }
    try {
      float[] logits = sequence.length == sequence.request.promptTokenIds().length
          ? model.forwardLast(sequence.request.promptTokenIds(), 0, sequence.cache)
          : model.forwardLast(new int[] {sequence.lastToken}, sequence.length - 1, sequence.cache);
      Sample choice = sampler.sample(logits, sequence.sampling);
      sequence.lastToken = choice.tokenId();
      sequence.length++;
      sequence.tokenProduced(metrics);
      sequence.events.accept(sequence.output.accept(choice));
      if (sequence.output.finished()) {
        GenerationEvent.Finished finished = sequence.output.finish(sequence.request.promptTokenIds().length, sequence.queueNanos);
        sequence.report(finished.finishReason(), metrics);
        sequence.events.accept(finished);
        return true;
      }
      return false;
    } catch (RuntimeException e) {
      LOG.error("generation {} failed", sequence.request.requestId(), e);
      sequence.report("error", metrics);
      sequence.fail(ApiException.internal("generation failed: " + e.getClass().getSimpleName()));
      return true;
    }
  }

  @Override
  public void close() {
    stopping = true;
    thread.interrupt();
    try {
      thread.join(10_000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /** A request and its progress; touched only by the engine thread, except the cancel flag. */
  private static final class Running {
    final GenerationRequest request;
    final Consumer<GenerationEvent> events;
    volatile boolean cancelled;
    long queueNanos;
    int length;
    int lastToken;
    ModelExecutor.SequenceCache cache;
    SequenceOutput output;
    SamplingState sampling;
    long firstTokenNanos = -1;
    long lastTokenNanos;

    void tokenProduced(EngineMetrics metrics) {
      long now = System.nanoTime();
      metrics.generationToken(firstTokenNanos < 0 ? -1 : now - lastTokenNanos);
      if (firstTokenNanos < 0) {
        firstTokenNanos = now;
      }
      lastTokenNanos = now;
    }

    void report(String reason, EngineMetrics metrics) {
      long arrival = request.arrivalNanos();
      metrics.requestFinished(reason, queueNanos, firstTokenNanos < 0 ? -1 : firstTokenNanos - arrival,
          System.nanoTime() - arrival);
    }

    Running(GenerationRequest request, Consumer<GenerationEvent> events) {
      this.request = request;
      this.events = events;
    }

    void fail(ApiException error) {
      events.accept(new GenerationEvent.Failed(error, request.promptTokenIds().length,
          output == null ? 0 : output.completionTokens()));
    }
  }
}
