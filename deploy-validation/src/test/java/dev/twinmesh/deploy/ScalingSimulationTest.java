package dev.twinmesh.deploy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.Probe;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.autoscaling.v2.HorizontalPodAutoscaler;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The worker HPA of the gpu overlay, as rendered, under a load ramp from 1x to 100x: replicas, queue depth
 * and time to first token over time, printed and plotted to target/scaling-simulation.png.
 *
 * <p>Per-worker capacity: no engine benchmark exists yet, so the defaults are assumptions for Llama-3.1-8B
 * in fp16 on one 24 GB GPU (L4 or A10G class): 25 tokens/s per sequence in a full batch, about 300 tokens
 * per answer, so 12 s per request; 0.3 s of prefill; the KV cache 90 % used with every slot busy; 150 s
 * from the HPA's decision to a ready worker (a cached image, 16 GB of weights read from the volume).
 * Override any of them with -Dsim.NAME=value (e.g. -Dsim.meanGenerationSeconds=8).
 */
class ScalingSimulationTest {
  static final List<ScalingSimulation.Phase> RAMP = List.of(
      new ScalingSimulation.Phase("1x", 10 * 60, 1, 1),
      new ScalingSimulation.Phase("ramp 1x-100x", 30 * 60, 1, 100),
      new ScalingSimulation.Phase("100x", 30 * 60, 100, 100),
      new ScalingSimulation.Phase("30x", 30 * 60, 30, 30));

  static ScalingSimulation.Params params;
  static HorizontalPodAutoscaler hpaYaml;
  static List<ScalingSimulation.Step> steps;

  @BeforeAll
  static void run() throws Exception {
    Manifests gpu = Manifests.render("gpu");
    hpaYaml = gpu.get(HorizontalPodAutoscaler.class, "twin-worker");
    Container worker = gpu.get(Deployment.class, "twin-worker").getSpec().getTemplate().getSpec().getContainers().get(0);
    int maxNumSeqs = TwinMeshArgs.parse(worker.getArgs(), ContainerCommandsTest.env(gpu, worker)).intOption("--max-num-seqs");
    params = new ScalingSimulation.Params(maxNumSeqs, param("meanGenerationSeconds", 12), param("prefillSeconds", 0.3),
        param("kvAtFullBatch", 0.9), param("baseRate", 0.08), (int) param("startupSeconds", 150), 15,
        param("ttftTargetSeconds", 2.0), 42);
    steps = new ScalingSimulation(params, new HpaAlgorithm(hpaYaml), RAMP).run();
    print();
    SimulationChart.write(DeployFiles.target().resolve("scaling-simulation.png"),
        "twin-worker HPA (gpu overlay): load 1x to 100x, then 30x", steps, params.ttftTargetSeconds(), params.workerRequestsPerSecond());
    writeCsv(DeployFiles.target().resolve("scaling-simulation.csv"));
  }

  @Test
  void replicasStayWithinTheHpaBounds() {
    for (ScalingSimulation.Step s : steps) {
      assertTrue(s.desired() >= hpaYaml.getSpec().getMinReplicas() && s.desired() <= hpaYaml.getSpec().getMaxReplicas(), "t=" + s.t());
    }
  }

  @Test
  void atFullLoadThereIsEventuallyEnoughCapacityAndTheTargetHolds() {
    List<ScalingSimulation.Step> settled = window("100x", 15 * 60);
    for (ScalingSimulation.Step s : settled) {
      assertTrue(s.ready() * params.workerRequestsPerSecond() >= s.offeredRate(), "capacity at t=" + s.t());
    }
    double p99 = percentile(settled.stream().mapToDouble(ScalingSimulation.Step::ttftSeconds).toArray(), 0.99);
    assertTrue(p99 <= params.ttftTargetSeconds(), "TTFT p99 " + p99 + " s over the settled 100x window");
  }

  @Test
  void noFlappingUnderSteadyLoad() {
    for (String phase : List.of("100x", "30x")) {
      List<ScalingSimulation.Step> all = window(phase, Integer.MAX_VALUE);
      int direction = 0;
      for (int i = 1; i < all.size(); i++) {
        int change = Integer.signum(all.get(i).desired() - all.get(i - 1).desired());
        if (change != 0) {
          assertTrue(direction == 0 || change == direction, "replicas reversed direction at t=" + all.get(i).t() + " under steady " + phase);
          direction = change;
        }
      }
      List<ScalingSimulation.Step> settled = window(phase, 10 * 60);
      assertTrue(settled.stream().allMatch(s -> s.desired() == settled.get(0).desired()), "steady for the last 10 minutes of " + phase);
    }
  }

  @Test
  void aNewWorkerIsReadyWellWithinItsStartupProbe() {
    Probe startup = Manifests.render("gpu").get(Deployment.class, "twin-worker").getSpec().getTemplate().getSpec()
        .getContainers().get(0).getStartupProbe();
    assertTrue(params.startupSeconds() < startup.getPeriodSeconds() * startup.getFailureThreshold(),
        "the startup probe must not kill a worker that is still loading");
  }

  @Test
  void scalesBackDownWhenLoadFalls() {
    int atFull = window("100x", 60).get(0).desired();
    int atThirty = window("30x", 60).get(0).desired();
    assertTrue(atThirty < atFull, "fewer workers at 30x (" + atThirty + ") than at 100x (" + atFull + ")");
  }

  private static List<ScalingSimulation.Step> window(String phase, int lastSeconds) {
    List<ScalingSimulation.Step> in = steps.stream().filter(s -> s.phase().equals(phase)).toList();
    return in.subList(Math.max(0, in.size() - lastSeconds), in.size());
  }

  private static void print() {
    System.out.printf(Locale.ROOT, "%nworker autoscaling simulation (HPA twin-worker of overlays/gpu: min %d, max %d, targets %s)%n",
        hpaYaml.getSpec().getMinReplicas(), hpaYaml.getSpec().getMaxReplicas(), new HpaAlgorithm(hpaYaml).targets);
    System.out.printf(Locale.ROOT, "worker: %d slots x %.1f s per request = %.2f req/s; prefill %.1f s; start-up %d s; 1x = %.2f req/s; TTFT target %.1f s%n",
        params.maxNumSeqs(), params.meanGenerationSeconds(), params.workerRequestsPerSecond(), params.prefillSeconds(),
        params.startupSeconds(), params.baseRate(), params.ttftTargetSeconds());
    System.out.println(" min  phase          load  req/s  replicas ready  queue/pod  kv-use  TTFT-avg  TTFT-max");
    for (int minute = 0; minute * 60 < steps.size(); minute += 2) {
      List<ScalingSimulation.Step> m = steps.subList(minute * 60, Math.min(steps.size(), minute * 60 + 60));
      ScalingSimulation.Step last = m.get(m.size() - 1);
      System.out.printf(Locale.ROOT, "%4d  %-13s %5.0fx %6.2f  %8d %5d  %9.1f  %5.0f%%  %7.2fs  %7.2fs%n", minute, last.phase(),
          last.multiple(), last.offeredRate(), last.desired(), last.ready(),
          m.stream().mapToDouble(ScalingSimulation.Step::waitingPerPod).average().orElse(0),
          100 * m.stream().mapToDouble(ScalingSimulation.Step::kvUsage).average().orElse(0),
          m.stream().mapToDouble(ScalingSimulation.Step::ttftSeconds).average().orElse(0),
          m.stream().mapToDouble(ScalingSimulation.Step::ttftSeconds).max().orElse(0));
    }
    List<int[]> misses = new ArrayList<>();
    for (ScalingSimulation.Step s : steps) {
      if (s.ttftSeconds() > params.ttftTargetSeconds()) {
        if (!misses.isEmpty() && misses.get(misses.size() - 1)[1] >= s.t() - 60) {
          misses.get(misses.size() - 1)[1] = s.t();
        } else {
          misses.add(new int[] {s.t(), s.t()});
        }
      }
    }
    for (int[] miss : misses) {
      int decision = steps.stream().filter(s -> s.t() <= miss[0] + 60 && s.desired() > s.ready()).mapToInt(ScalingSimulation.Step::t)
          .filter(t -> t >= miss[0] - params.startupSeconds()).findFirst().orElse(-1);
      System.out.printf(Locale.ROOT, "TTFT above %.1f s from %s to %s (%d s)%s%n", params.ttftTargetSeconds(), clock(miss[0]),
          clock(miss[1]), miss[1] - miss[0] + 1,
          decision < 0 ? "" : "; workers added from " + clock(decision) + ", ready " + params.startupSeconds() + " s later");
    }
    int lastMiss = misses.isEmpty() ? -1 : misses.get(misses.size() - 1)[1];
    System.out.printf(Locale.ROOT, "the TTFT target holds from %s to the end (%s)%n", clock(lastMiss + 1), clock(steps.size()));
    System.out.println("plot: " + DeployFiles.target().resolve("scaling-simulation.png"));
  }

  private static String clock(int t) {
    return String.format(Locale.ROOT, "%d:%02d", t / 60, t % 60);
  }

  private static void writeCsv(Path file) throws Exception {
    StringBuilder csv = new StringBuilder("t,phase,multiple,offered_rate,replicas,ready,waiting_per_pod,kv_usage,ttft_s\n");
    for (ScalingSimulation.Step s : steps) {
      csv.append(String.format(Locale.ROOT, "%d,%s,%.3f,%.4f,%d,%d,%.3f,%.4f,%.3f%n", s.t(), s.phase(), s.multiple(),
          s.offeredRate(), s.desired(), s.ready(), s.waitingPerPod(), s.kvUsage(), s.ttftSeconds()));
    }
    Files.writeString(file, csv);
  }

  private static double percentile(double[] values, double q) {
    double[] sorted = values.clone();
    java.util.Arrays.sort(sorted);
    return sorted[(int) Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
  }

  private static double param(String name, double fallback) {
    String v = System.getProperty("sim." + name);
    return v == null ? fallback : Double.parseDouble(v);
  }
}
