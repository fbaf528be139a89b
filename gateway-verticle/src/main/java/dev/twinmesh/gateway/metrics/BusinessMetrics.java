package dev.twinmesh.gateway.metrics;

import dev.twinmesh.gateway.jobs.JobsService;
import dev.twinmesh.gateway.trace.TracePublisher;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.vertx.ext.web.Router;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.lang.management.MemoryUsage;

/**
 * The business service's Prometheus metrics on {@code GET /metrics}: the trace publisher (published,
 * spooled, dropped, sampled out) and the jobs consumer, whose {@code twin_jobs_consumer_lag} is the
 * scaling signal for KEDA's Prometheus trigger (KEDA's Kafka trigger reads the same lag from the broker).
 */
public final class BusinessMetrics {
  private final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);

  public BusinessMetrics() {
    new JvmMemoryMetrics().bindTo(registry);
    // what the heap holds once garbage is gone: the figure to size -Xmx by (open streams, queued traces)
    Gauge.builder("jvm.heap.used.after.gc", BusinessMetrics::heapUsedAfterGc)
        .description("Heap in use after the last collection of each heap pool").baseUnit("bytes").register(registry);
  }

  private static double heapUsedAfterGc() {
    long used = 0;
    for (MemoryPoolMXBean pool : ManagementFactory.getMemoryPoolMXBeans()) {
      MemoryUsage afterGc = pool.getType() == MemoryType.HEAP ? pool.getCollectionUsage() : null;
      used += afterGc == null ? 0 : afterGc.getUsed();
    }
    return used;
  }

  /** {@code twin_gateway_requests_in_flight}: what the business HPA scales on (k8s/autoscaling). */
  public BusinessMetrics gateway(dev.twinmesh.gateway.GatewayVerticle gateway) {
    Gauge.builder("twin_gateway_requests_in_flight", gateway, dev.twinmesh.gateway.GatewayVerticle::requestsInFlight)
        .description("Generations admitted by this gateway and not yet ended").register(registry);
    return this;
  }

  public BusinessMetrics traces(TracePublisher traces) {
    counter("twin_traces_published", "Traces Kafka acknowledged", traces, TracePublisher::publishedCount);
    counter("twin_traces_dropped", "Traces lost: queue full, no id, or deleted from a full spool", traces, TracePublisher::droppedCount);
    counter("twin_traces_spool_dropped", "Oldest traces deleted unsent because the spool was full", traces, TracePublisher::spoolDroppedCount);
    counter("twin_traces_spooled", "Traces written to the disk spool while Kafka was unreachable", traces, TracePublisher::spooledCount);
    counter("twin_traces_failed", "Traces neither Kafka nor the spool would take", traces, TracePublisher::failedCount);
    counter("twin_traces_sampled_out", "Successful generations not traced because of the sample rate", traces, TracePublisher::sampledOutCount);
    Gauge.builder("twin_traces_spool_size", traces, TracePublisher::spoolSize).description("Traces waiting in the spool").register(registry);
    Gauge.builder("twin_traces_queue_size", traces, TracePublisher::queueSize).description("Traces waiting in memory").register(registry);
    return this;
  }

  public BusinessMetrics jobs(JobsService jobs) {
    Gauge.builder("twin_jobs_consumer_lag", jobs, JobsService::consumerLag)
        .description("Job requests not yet committed by the consumer group, over this consumer's partitions").register(registry);
    Gauge.builder("twin_jobs_in_flight", jobs, JobsService::inFlight).description("Jobs generating now").register(registry);
    counter("twin_jobs_answered", "Jobs answered", jobs, JobsService::answeredCount);
    counter("twin_jobs_dead_lettered", "Jobs sent to the DLQ", jobs, JobsService::deadLetteredCount);
    counter("twin_jobs_duplicates", "Job records skipped: their id was already answered", jobs, JobsService::duplicateCount);
    counter("twin_jobs_retries", "Generation attempts retried", jobs, JobsService::retryCount);
    return this;
  }

  public String scrape() {
    return registry.scrape();
  }

  public void mount(Router router) {
    router.get("/metrics").handler(ctx -> ctx.response()
        .putHeader("content-type", "text/plain; version=0.0.4; charset=utf-8")
        .end(scrape()));
  }

  private <T> void counter(String name, String description, T source, java.util.function.ToDoubleFunction<T> value) {
    FunctionCounter.builder(name, source, value).description(description).register(registry);
  }
}
