package dev.twinmesh.worker.metrics;

import dev.twinmesh.worker.engine.EngineMetrics;
import dev.twinmesh.worker.engine.GenerationBackend;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.config.NamingConvention;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.micrometer.prometheusmetrics.PrometheusNamingConvention;
import java.time.Duration;
import java.util.Arrays;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * The worker's Prometheus metrics under vLLM's names, so existing dashboards and autoscaling recipes
 * (HPA on {@code vllm:num_requests_waiting}, {@code vllm:kv_cache_usage_perc}) work unchanged.
 */
public final class WorkerMetrics implements EngineMetrics {
  /** vLLM's latency buckets, in seconds. */
  private static final double[] LATENCY_BUCKETS = {0.001, 0.005, 0.01, 0.02, 0.04, 0.06, 0.08, 0.1, 0.25, 0.5,
      0.75, 1.0, 2.5, 5.0, 7.5, 10.0, 20.0, 40.0, 80.0, 160.0};

  private final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
  private final Counter promptTokens;
  private final Counter generationTokens;
  private final Counter preemptions;
  private final Counter prefixQueries;
  private final Counter prefixHits;
  private final Timer timeToFirstToken;
  private final Timer interTokenLatency;
  private final Timer e2eLatency;
  private final Timer queueTime;

  public WorkerMetrics(String modelName, Supplier<GenerationBackend.EngineLoad> load) {
    registry.config().namingConvention(new ColonPrefixConvention());
    registry.config().commonTags("model_name", modelName);
    Gauge.builder("vllm:num_requests_waiting", () -> load.get().waiting())
        .description("Requests waiting to be scheduled").register(registry);
    Gauge.builder("vllm:num_requests_running", () -> load.get().running())
        .description("Requests in the running batch").register(registry);
    Gauge.builder("vllm:kv_cache_usage_perc", () -> load.get().kvCacheUsage())
        .description("Fraction of KV-cache blocks in use, 0 to 1").register(registry);
    promptTokens = Counter.builder("vllm:prompt_tokens").description("Prompt tokens taken in").register(registry);
    generationTokens = Counter.builder("vllm:generation_tokens").description("Tokens generated").register(registry);
    preemptions = Counter.builder("vllm:num_preemptions").description("Sequences preempted").register(registry);
    prefixQueries = Counter.builder("vllm:prefix_cache_queries").description("Prompt tokens looked up in the prefix cache").register(registry);
    prefixHits = Counter.builder("vllm:prefix_cache_hits").description("Prompt tokens found in the prefix cache").register(registry);
    timeToFirstToken = latency("vllm:time_to_first_token", "Time to first token");
    interTokenLatency = latency("vllm:inter_token_latency", "Time between tokens of one request");
    e2eLatency = latency("vllm:e2e_request_latency", "Request latency from arrival to the end");
    queueTime = latency("vllm:request_queue_time", "Time a request waited before it was scheduled");
  }

  private Timer latency(String name, String description) {
    Duration[] buckets = Arrays.stream(LATENCY_BUCKETS).mapToObj(s -> Duration.ofNanos((long) (s * 1e9))).toArray(Duration[]::new);
    return Timer.builder(name).description(description).serviceLevelObjectives(buckets).register(registry);
  }

  /** Prometheus text exposition. */
  public String scrape() {
    return registry.scrape();
  }

  @Override
  public void promptTokens(int tokens) {
    promptTokens.increment(tokens);
  }

  @Override
  public void generationToken(long gapNanos) {
    generationTokens.increment();
    if (gapNanos >= 0) {
      interTokenLatency.record(gapNanos, TimeUnit.NANOSECONDS);
    }
  }

  @Override
  public void requestFinished(String reason, long queueNanos, long ttftNanos, long e2eNanos) {
    Counter.builder("vllm:request_success").tag("finished_reason", reason).register(registry).increment();
    queueTime.record(queueNanos, TimeUnit.NANOSECONDS);
    if (ttftNanos >= 0) {
      timeToFirstToken.record(ttftNanos, TimeUnit.NANOSECONDS);
    }
    e2eLatency.record(e2eNanos, TimeUnit.NANOSECONDS);
  }

  @Override
  public void preempted(int sequences) {
    preemptions.increment(sequences);
  }

  @Override
  public void prefixCache(int queriedTokens, int hitTokens) {
    prefixQueries.increment(queriedTokens);
    prefixHits.increment(hitTokens);
  }

  /** Micrometer turns every non-alphanumeric into '_'; Prometheus allows the colon vLLM's names use. */
  private static final class ColonPrefixConvention implements NamingConvention {
    private final NamingConvention prometheus = new PrometheusNamingConvention();

    @Override
    public String name(String name, Meter.Type type, String baseUnit) {
      int colon = name.indexOf(':');
      return colon < 0 ? prometheus.name(name, type, baseUnit)
          : name.substring(0, colon + 1) + prometheus.name(name.substring(colon + 1), type, baseUnit);
    }

    @Override
    public String tagKey(String key) {
      return prometheus.tagKey(key);
    }
  }
}
