package dev.twinmesh.deploy;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * Workers under a load ramp, second by second, scaled by the HPA algorithm on the metrics they export.
 * Each worker runs up to {@code maxNumSeqs} sequences; a sequence takes {@code meanGenerationSeconds} on
 * average (so a full worker finishes maxNumSeqs / meanGenerationSeconds requests a second); requests beyond
 * that wait in the worker's queue. The gateway sends each request to the least-loaded ready worker.
 * Prometheus scrapes every {@code scrapeSeconds}; the HPA reconciles every 15 s on the last scrape. A
 * worker the HPA adds takes {@code startupSeconds} (model load) before it is ready and reports metrics.
 */
final class ScalingSimulation {

  /**
   * @param maxNumSeqs            sequences a worker runs at once (--max-num-seqs)
   * @param meanGenerationSeconds mean time one request occupies a sequence slot
   * @param prefillSeconds        time to the first token once a request is scheduled
   * @param kvAtFullBatch         KV-cache use with every slot busy (vllm:kv_cache_usage_perc)
   * @param baseRate              the 1x load, requests per second
   * @param startupSeconds        from the HPA's decision to a ready worker
   * @param ttftTargetSeconds     the latency target
   */
  record Params(int maxNumSeqs, double meanGenerationSeconds, double prefillSeconds, double kvAtFullBatch,
                double baseRate, int startupSeconds, int scrapeSeconds, double ttftTargetSeconds, long seed) {
    double workerRequestsPerSecond() {
      return maxNumSeqs / meanGenerationSeconds;
    }
  }

  /** The load over time, as multiples of the base rate. */
  record Phase(String name, int seconds, double fromMultiple, double toMultiple) {}

  /** One second of the run. */
  record Step(int t, String phase, double multiple, double offeredRate, int desired, int ready, double waitingPerPod,
              double kvUsage, double ttftSeconds) {}

  private static final class Worker {
    final int readyAt;
    double waiting;
    double running;

    Worker(int readyAt) {
      this.readyAt = readyAt;
    }

    double load(int slots) {
      return (waiting + running) / slots;
    }
  }

  private final Params p;
  private final HpaAlgorithm hpa;
  private final List<Phase> phases;

  ScalingSimulation(Params params, HpaAlgorithm hpa, List<Phase> phases) {
    this.p = params;
    this.hpa = hpa;
    this.phases = phases;
  }

  List<Step> run() {
    Random random = new Random(p.seed());
    List<Worker> workers = new ArrayList<>();
    for (int i = 0; i < hpa.minReplicas; i++) {
      workers.add(new Worker(0));
    }
    Map<String, double[]> scraped = Map.of();
    int scrapedMissing = 0;
    List<Step> steps = new ArrayList<>();
    int t = 0;
    for (Phase phase : phases) {
      for (int s = 0; s < phase.seconds(); s++, t++) {
        double multiple = phase.fromMultiple() * Math.pow(phase.toMultiple() / phase.fromMultiple(), s / (double) phase.seconds());
        final int now = t;
        List<Worker> ready = workers.stream().filter(w -> w.readyAt <= now).toList();
        int arrivals = poisson(random, multiple * p.baseRate());
        double ttftSum = 0;
        for (int a = 0; a < arrivals; a++) {
          Worker target = ready.stream().min((x, y) -> Double.compare(x.load(p.maxNumSeqs()), y.load(p.maxNumSeqs()))).orElseThrow();
          ttftSum += ttft(target);
          target.waiting += 1;
        }
        double ttft = arrivals > 0 ? ttftSum / arrivals : ready.stream().mapToDouble(this::ttft).min().orElse(0);
        for (Worker w : ready) {
          double admitted = Math.min(w.waiting, p.maxNumSeqs() - w.running);
          w.waiting -= admitted;
          w.running += admitted;
          w.running -= w.running / p.meanGenerationSeconds();
        }
        if (t % p.scrapeSeconds() == 0) {
          scraped = Map.of(
              "vllm_num_requests_waiting", ready.stream().mapToDouble(w -> w.waiting).toArray(),
              "vllm_kv_cache_usage_perc", ready.stream().mapToDouble(w -> kv(w)).toArray());
          scrapedMissing = workers.size() - ready.size();
        }
        if (t % 15 == 0 && t > 0) {
          int desired = hpa.reconcile(t, workers.size(), scraped, scrapedMissing);
          resize(workers, desired, t);
        }
        steps.add(new Step(t, phase.name(), multiple, multiple * p.baseRate(), workers.size(), ready.size(),
            ready.stream().mapToDouble(w -> w.waiting).average().orElse(0),
            ready.stream().mapToDouble(this::kv).average().orElse(0), ttft));
      }
    }
    return steps;
  }

  private void resize(List<Worker> workers, int desired, int now) {
    while (workers.size() < desired) {
      workers.add(new Worker(now + p.startupSeconds()));
    }
    while (workers.size() > desired) {
      // Starting pods go first (as a ReplicaSet does); a draining worker's queue goes back through the gateway.
      Worker gone = workers.remove(workers.size() - 1);
      List<Worker> ready = workers.stream().filter(w -> w.readyAt <= now).toList();
      if (!ready.isEmpty()) {
        ready.get(0).waiting += gone.waiting;
      }
    }
  }

  private double kv(Worker w) {
    return Math.min(1.0, w.running / p.maxNumSeqs() * p.kvAtFullBatch());
  }

  /** A request joining this worker's queue waits for the ones ahead to be admitted at the worker's finishing rate. */
  private double ttft(Worker w) {
    double ahead = w.waiting + Math.max(0, w.running + 1 - p.maxNumSeqs());
    return p.prefillSeconds() + ahead / p.workerRequestsPerSecond();
  }

  private static int poisson(Random random, double mean) {
    double l = Math.exp(-mean);
    double prod = random.nextDouble();
    int k = 0;
    while (prod > l) {
      prod *= random.nextDouble();
      k++;
    }
    return k;
  }
}
