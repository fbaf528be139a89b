package dev.twinmesh.worker.engine;

import dev.twinmesh.common.ApiException;
import dev.twinmesh.worker.sampling.Sample;
import dev.twinmesh.worker.sampling.Sampler;
import dev.twinmesh.worker.sampling.SamplingState;
import dev.twinmesh.worker.scheduler.Scheduler;
import dev.twinmesh.worker.scheduler.SchedulerOutput;
import dev.twinmesh.worker.scheduler.Sequence;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The continuous-batching engine: one dedicated thread loops schedule, run, postprocess. Every step the
 * scheduler hands out a token budget (running sequences first, prompts chunked), the model runner
 * computes the whole batch in one forward pass over the paged KV cache, and each sequence that reached
 * a new token samples it and sends it on. The event loop only submits and cancels.
 */
public final class Engine implements GenerationBackend, AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(Engine.class);

  private final ModelRunner runner;
  private final Scheduler scheduler;
  private final TokenTextDecoder decoder;
  private final Set<Integer> eosTokenIds;
  private final EngineMetrics metrics;
  private final Limits limits;
  private final Sampler sampler = new Sampler();
  private final LinkedBlockingQueue<Request> incoming = new LinkedBlockingQueue<>();
  private final ConcurrentLinkedQueue<Request> cancelled = new ConcurrentLinkedQueue<>();
  private final Map<String, Request> active = new HashMap<>();
  private final AtomicInteger queuedRequests = new AtomicInteger();
  private final AtomicLong queuedTokens = new AtomicLong();
  private final AtomicLong requestIds = new AtomicLong();
  private final Thread thread;
  private volatile EngineLoad load = new EngineLoad(0, 0, 0);
  private volatile EngineStats stats = EngineStats.ZERO;
  private volatile boolean stopping;
  private long reportedPreemptions;
  private long reportedQueryTokens;
  private long reportedHitTokens;

  /** Admission bounds of the waiting queue: past either, new requests get 503. */
  public record Limits(int maxWaitingRequests, long maxWaitingTokens) {}

  public Engine(ModelRunner runner, Scheduler scheduler, TokenTextDecoder decoder, Set<Integer> eosTokenIds,
                Limits limits, EngineMetrics metrics) {
    this.runner = runner;
    this.scheduler = scheduler;
    this.decoder = decoder;
    this.eosTokenIds = Set.copyOf(eosTokenIds);
    this.limits = limits;
    this.metrics = metrics;
    this.thread = new Thread(this::loop, "twin-engine");
    this.thread.setDaemon(true);
    this.thread.start();
  }

  @Override
  public GenerationHandle submit(GenerationRequest request, Consumer<GenerationEvent> events) {
    if (stopping) {
      throw ApiException.unavailable("the worker is shutting down", 5);
    }
    if (request.promptTokenIds().length == 0 || request.maxTokens() < 1) {
      // refused here: on the engine thread it would be lost, holding its queue slot for good
      throw ApiException.invalidRequest(request.promptTokenIds().length == 0 ? "prompt" : "max_tokens",
          "a request needs at least one prompt token and max_tokens of at least 1");
    }
    scheduler.requireFits(request.promptTokenIds().length, request.maxTokens());
    int tokens = request.promptTokenIds().length;
    if (queuedRequests.get() >= limits.maxWaitingRequests()
        || queuedTokens.get() + tokens > limits.maxWaitingTokens()) {
      throw ApiException.unavailable("the worker's queue is full (" + queuedRequests.get() + " requests, "
          + queuedTokens.get() + " prompt tokens waiting); retry shortly", 1);
    }
    queuedRequests.incrementAndGet();
    queuedTokens.addAndGet(tokens);
    Request entry = new Request(request.requestId() + "#" + requestIds.incrementAndGet(), request, events);
    incoming.add(entry);
    if (stopping && incoming.remove(entry)) {
      // close() began after the check above and may have failed the queue already: this one would never end
      throw ApiException.unavailable("the worker is shutting down", 5);
    }
    return () -> {
      entry.cancelled = true;
      cancelled.add(entry);
    };
  }

  @Override
  public EngineLoad load() {
    return load;
  }

  /** Time the engine thread spent per phase since it started; diff two snapshots for an interval. */
  public EngineStats stats() {
    return stats;
  }

  private void loop() {
    while (!stopping) {
      try {
        long started = System.nanoTime();
        admitIncoming();
        applyCancels();
        SchedulerOutput step = scheduler.schedule();
        step.finished().forEach(this::onLeftWithoutEvent);
        if (step.isEmpty()) {
          publishLoad();
          awaitWork();
          continue;
        }
        run(step, System.nanoTime() - started);
        publishLoad();
      } catch (InterruptedException e) {
        break;
      } catch (RuntimeException e) {
        LOG.error("engine step failed", e);
      }
    }
    failAll(ApiException.unavailable("the worker stopped", 5));
  }

  private void admitIncoming() {
    Request entry;
    while ((entry = incoming.poll()) != null) {
      admit(entry);
    }
  }

  private void admit(Request entry) {
    if (entry.cancelled) {
      dequeued(entry);
      return;
    }
    GenerationRequest r = entry.request;
    Set<Integer> stopIds = new HashSet<>(r.sampling().stopTokenIds());
    if (!r.sampling().ignoreEos()) {
      stopIds.addAll(eosTokenIds);
    }
    entry.sequence = new Sequence(entry.id, r.promptTokenIds(), r.maxTokens(), r.priority(), r.arrivalNanos(),
        r.sampling(), stopIds);
    entry.output = new SequenceOutput(decoder, r.sampling(), r.maxTokens(), eosTokenIds);
    entry.sampling = new SamplingState(r.sampling(), r.promptTokenIds());
    try {
      scheduler.add(entry.sequence);
      active.put(entry.id, entry);
      metrics.promptTokens(r.promptTokenIds().length);
    } catch (ApiException e) {
      dequeued(entry);
      send(entry, new GenerationEvent.Failed(e, r.promptTokenIds().length, 0));
    }
  }

  private void applyCancels() {
    Request entry;
    while ((entry = cancelled.poll()) != null) {
      scheduler.abort(entry.id);
    }
  }

  /** Blocks until a request arrives (or a short while passes, so cancels and stop are seen). */
  private void awaitWork() throws InterruptedException {
    Request entry = incoming.poll(50, TimeUnit.MILLISECONDS);
    if (entry != null) {
      admit(entry);
    }
  }

  private void run(SchedulerOutput step, long scheduleNanos) {
    List<SchedulerOutput.ScheduledSequence> scheduled = step.scheduled();
    scheduled.forEach(s -> firstScheduled(active.get(s.requestId())));
    Sample[] samples;
    long executeStarted = System.nanoTime();
    long sampleStarted;
    try {
      float[][] logits = runner.execute(step);
      sampleStarted = System.nanoTime();
      samples = sample(scheduled, logits);
    } catch (RuntimeException e) {
      // the forward pass or the sampler (NaN logits): fail the step, so the scheduler can go on
      LOG.error("step failed for {} sequences", scheduled.size(), e);
      for (Sequence failed : scheduler.failStep(step)) {
        Request entry = active.remove(failed.requestId());
        if (entry != null) {
          leave(entry, "error");
          send(entry, new GenerationEvent.Failed(ApiException.internal("generation failed: "
              + e.getClass().getSimpleName()), failed.numPromptTokens(), failed.numCompletionTokens()));
        }
      }
      return;
    }
    int[] sampledIds = new int[scheduled.size()];
    for (int i = 0; i < samples.length; i++) {
      if (samples[i] != null) {
        sampledIds[i] = samples[i].tokenId();
      }
    }
    long postprocessStarted = System.nanoTime();
    scheduler.postprocess(step, sampledIds);
    for (int i = 0; i < samples.length; i++) {
      if (samples[i] != null) {
        emit(active.get(scheduled.get(i).requestId()), samples[i]);
      }
    }
    reportSchedulerCounters();
    long finished = System.nanoTime();
    stats = stats.plusStep(step.numScheduledTokens(), scheduleNanos, sampleStarted - executeStarted,
        postprocessStarted - sampleStarted, finished - postprocessStarted);
  }

  private Sample[] sample(List<SchedulerOutput.ScheduledSequence> scheduled, float[][] logits) {
    Sample[] samples = new Sample[scheduled.size()];
    for (int i = 0; i < samples.length; i++) {
      if (logits[i] != null) {
        samples[i] = sampler.sample(logits[i], active.get(scheduled.get(i).requestId()).sampling);
      }
    }
    return samples;
  }

  /** Sends a sampled token on; ends the request when its output or the scheduler says it is done. */
  private void emit(Request entry, Sample sample) {
    entry.tokenProduced(metrics);
    send(entry, entry.output.accept(sample));
    if (!entry.output.finished() && !entry.sequence.isFinished()) {
      return;
    }
    if (!entry.sequence.isFinished()) {
      scheduler.finish(entry.sequence, Sequence.FinishReason.STOP); // a stop string, which only the output sees
    }
    active.remove(entry.id);
    GenerationEvent.Finished finished = entry.output.finish(entry.sequence.numPromptTokens(),
        entry.sequence.numCachedPromptTokens(), entry.queueNanos());
    leave(entry, finished.finishReason());
    send(entry, finished);
  }

  /** Hands an event to its request's owner; an owner that throws loses its own request, never the others'. */
  private void send(Request entry, GenerationEvent event) {
    try {
      entry.events.accept(event);
    } catch (RuntimeException e) {
      LOG.warn("the event consumer of {} failed; cancelling it", entry.id, e);
      entry.cancelled = true;
      cancelled.add(entry);
    }
  }

  /** Aborted sequences leave without an event: their client is gone. */
  private void onLeftWithoutEvent(SchedulerOutput.Finished finished) {
    Request entry = active.remove(finished.requestId());
    if (entry != null) {
      leave(entry, finished.reason().openAiName());
    }
  }

  private void firstScheduled(Request entry) {
    if (entry != null && entry.scheduledNanos < 0) {
      entry.scheduledNanos = System.nanoTime();
      dequeued(entry);
    }
  }

  private void dequeued(Request entry) {
    if (!entry.dequeued) {
      entry.dequeued = true;
      queuedRequests.decrementAndGet();
      queuedTokens.addAndGet(-entry.request.promptTokenIds().length);
    }
  }

  private void leave(Request entry, String reason) {
    dequeued(entry);
    long arrival = entry.request.arrivalNanos();
    metrics.requestFinished(reason, entry.queueNanos(), entry.firstTokenNanos < 0 ? -1 : entry.firstTokenNanos - arrival,
        System.nanoTime() - arrival);
  }

  private void reportSchedulerCounters() {
    long preemptions = scheduler.numPreemptions();
    if (preemptions > reportedPreemptions) {
      metrics.preempted((int) (preemptions - reportedPreemptions));
      reportedPreemptions = preemptions;
    }
    long queried = scheduler.numPrefixCacheQueryTokens();
    long hits = scheduler.numPrefixCacheHitTokens();
    if (queried > reportedQueryTokens) {
      metrics.prefixCache((int) (queried - reportedQueryTokens), (int) (hits - reportedHitTokens));
      reportedQueryTokens = queried;
      reportedHitTokens = hits;
    }
  }

  private void publishLoad() {
    load = new EngineLoad(incoming.size() + scheduler.numWaiting(), scheduler.numRunning(), scheduler.kvCacheUsage());
  }

  private void failAll(ApiException error) {
    for (Request entry : active.values()) {
      send(entry, new GenerationEvent.Failed(error, entry.request.promptTokenIds().length,
          entry.sequence.numCompletionTokens()));
    }
    active.clear();
    Request entry;
    while ((entry = incoming.poll()) != null) {
      send(entry, new GenerationEvent.Failed(error, entry.request.promptTokenIds().length, 0));
    }
  }

  /** Stops the engine thread; requests still running or waiting get a 503 error event. */
  @Override
  public void close() {
    stopping = true;
    thread.interrupt();
    try {
      thread.join(30_000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    runner.close();
  }

  /** One request inside the engine; touched by the engine thread only, except the cancel flag. */
  private static final class Request {
    final String id;
    final GenerationRequest request;
    final Consumer<GenerationEvent> events;
    volatile boolean cancelled;
    boolean dequeued;
    Sequence sequence;
    SequenceOutput output;
    SamplingState sampling;
    long scheduledNanos = -1;
    long firstTokenNanos = -1;
    long lastTokenNanos;

    Request(String id, GenerationRequest request, Consumer<GenerationEvent> events) {
      this.id = id;
      this.request = request;
      this.events = events;
    }

    long queueNanos() {
      return scheduledNanos < 0 ? System.nanoTime() - request.arrivalNanos() : scheduledNanos - request.arrivalNanos();
    }

    void tokenProduced(EngineMetrics metrics) {
      long now = System.nanoTime();
      metrics.generationToken(firstTokenNanos < 0 ? -1 : now - lastTokenNanos);
      if (firstTokenNanos < 0) {
        firstTokenNanos = now;
      }
      lastTokenNanos = now;
    }
  }
}
