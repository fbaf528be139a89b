package dev.twinmesh.deploy;

import io.fabric8.kubernetes.api.model.autoscaling.v2.HPAScalingPolicy;
import io.fabric8.kubernetes.api.model.autoscaling.v2.HPAScalingRules;
import io.fabric8.kubernetes.api.model.autoscaling.v2.HorizontalPodAutoscaler;
import io.fabric8.kubernetes.api.model.autoscaling.v2.MetricSpec;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The Kubernetes HPA controller's arithmetic for Pods metrics with AverageValue targets, transcribed from
 * pkg/controller/podautoscaler (replica_calculator.go calcPlainMetricReplicas, horizontal.go
 * stabilizeRecommendationWithBehaviors, convertDesiredReplicasWithBehaviorRate and the scale-up/down limit
 * functions), configured from an HPA as rendered: min/max, metric targets, behavior.
 */
final class HpaAlgorithm {
  static final double TOLERANCE = 0.1;

  record Policy(String type, int value, int periodSeconds) {}

  record Rules(int stabilizationWindowSeconds, String selectPolicy, List<Policy> policies) {}

  private record Recommendation(long time, int replicas) {}

  private record ScaleEvent(long time, int change) {}

  final int minReplicas;
  final int maxReplicas;
  final Map<String, Double> targets = new LinkedHashMap<>();
  final Rules up;
  final Rules down;
  private final Deque<Recommendation> recommendations = new ArrayDeque<>();
  private final List<ScaleEvent> upEvents = new ArrayList<>();
  private final List<ScaleEvent> downEvents = new ArrayList<>();

  HpaAlgorithm(HorizontalPodAutoscaler hpa) {
    minReplicas = hpa.getSpec().getMinReplicas();
    maxReplicas = hpa.getSpec().getMaxReplicas();
    for (MetricSpec m : hpa.getSpec().getMetrics()) {
      if (!m.getType().equals("Pods") || !m.getPods().getTarget().getType().equals("AverageValue")) {
        throw new IllegalArgumentException("the simulation models Pods metrics with AverageValue targets only");
      }
      targets.put(m.getPods().getMetric().getName(), m.getPods().getTarget().getAverageValue().getNumericalAmount().doubleValue());
    }
    up = rules(hpa.getSpec().getBehavior().getScaleUp());
    down = rules(hpa.getSpec().getBehavior().getScaleDown());
  }

  private static Rules rules(HPAScalingRules r) {
    List<Policy> policies = r.getPolicies().stream()
        .map((HPAScalingPolicy p) -> new Policy(p.getType(), p.getValue(), p.getPeriodSeconds())).toList();
    return new Rules(r.getStabilizationWindowSeconds(), r.getSelectPolicy() == null ? "Max" : r.getSelectPolicy(), policies);
  }

  /**
   * One reconcile at {@code now} (seconds). {@code podMetrics}: per metric, the value of each pod that has
   * one; {@code missingPods}: pods counted in the Deployment that report no metric yet (starting).
   * Returns the replica count the HPA sets.
   */
  int reconcile(long now, int currentReplicas, Map<String, double[]> podMetrics, int missingPods) {
    int desired = 0;
    boolean any = false;
    for (Map.Entry<String, Double> target : targets.entrySet()) {
      double[] values = podMetrics.get(target.getKey());
      if (values == null || values.length == 0) {
        continue; // an invalid metric: the HPA acts on the others
      }
      any = true;
      desired = Math.max(desired, plainMetricReplicas(values, missingPods, target.getValue(), currentReplicas));
    }
    if (!any) {
      return currentReplicas;
    }
    int stabilized = stabilize(now, currentReplicas, desired);
    int next = limitRate(now, currentReplicas, stabilized);
    if (next > currentReplicas) {
      upEvents.add(new ScaleEvent(now, next - currentReplicas));
    } else if (next < currentReplicas) {
      downEvents.add(new ScaleEvent(now, currentReplicas - next));
    }
    return next;
  }

  static int plainMetricReplicas(double[] values, int missingPods, double target, int currentReplicas) {
    double usageRatio = mean(values) / target;
    int ready = values.length;
    if (missingPods == 0) {
      return Math.abs(1.0 - usageRatio) <= TOLERANCE ? currentReplicas : (int) Math.ceil(usageRatio * ready);
    }
    // Pods without metrics count as at target when scaling down, as idle when scaling up.
    double assumed = usageRatio < 1.0 ? target : 0.0;
    double newRatio = (sum(values) + assumed * missingPods) / (ready + missingPods) / target;
    if (Math.abs(1.0 - newRatio) <= TOLERANCE || (usageRatio < 1.0 && newRatio > 1.0) || (usageRatio > 1.0 && newRatio < 1.0)) {
      return currentReplicas;
    }
    int replicas = (int) Math.ceil(newRatio * (ready + missingPods));
    if ((newRatio < 1.0 && replicas > currentReplicas) || (newRatio > 1.0 && replicas < currentReplicas)) {
      return currentReplicas;
    }
    return replicas;
  }

  private int stabilize(long now, int current, int desired) {
    int upRec = desired;
    int downRec = desired;
    long upCutoff = now - up.stabilizationWindowSeconds();
    long downCutoff = now - down.stabilizationWindowSeconds();
    for (Recommendation r : recommendations) {
      if (r.time() > upCutoff) {
        upRec = Math.min(upRec, r.replicas());
      }
      if (r.time() > downCutoff) {
        downRec = Math.max(downRec, r.replicas());
      }
    }
    recommendations.removeIf(r -> r.time() <= Math.min(upCutoff, downCutoff));
    recommendations.add(new Recommendation(now, desired));
    int recommendation = current;
    if (recommendation < upRec) {
      recommendation = upRec;
    }
    if (recommendation > downRec) {
      recommendation = downRec;
    }
    return recommendation;
  }

  private int limitRate(long now, int current, int desired) {
    if (desired > current) {
      int limit = Math.max(current, scaleUpLimit(now, current));
      return Math.min(desired, Math.min(maxReplicas, limit));
    }
    if (desired < current) {
      int limit = Math.min(current, scaleDownLimit(now, current));
      return Math.max(desired, Math.max(minReplicas, limit));
    }
    return desired;
  }

  private int scaleUpLimit(long now, int current) {
    boolean max = !up.selectPolicy().equals("Min");
    int result = max ? Integer.MIN_VALUE : Integer.MAX_VALUE;
    for (Policy p : up.policies()) {
      int start = current - changed(now, p.periodSeconds(), upEvents) + changed(now, p.periodSeconds(), downEvents);
      int proposed = p.type().equals("Pods") ? start + p.value() : (int) Math.ceil(start * (1 + p.value() / 100.0));
      result = max ? Math.max(result, proposed) : Math.min(result, proposed);
    }
    return result;
  }

  private int scaleDownLimit(long now, int current) {
    boolean min = down.selectPolicy().equals("Min");
    int result = min ? Integer.MIN_VALUE : Integer.MAX_VALUE;
    for (Policy p : down.policies()) {
      int start = current - changed(now, p.periodSeconds(), upEvents) + changed(now, p.periodSeconds(), downEvents);
      int proposed = p.type().equals("Pods") ? start - p.value() : (int) (start * (1 - p.value() / 100.0));
      result = min ? Math.max(result, proposed) : Math.min(result, proposed);
    }
    return result;
  }

  private static int changed(long now, int periodSeconds, List<ScaleEvent> events) {
    return events.stream().filter(e -> e.time() > now - periodSeconds).mapToInt(ScaleEvent::change).sum();
  }

  private static double mean(double[] v) {
    return sum(v) / v.length;
  }

  private static double sum(double[] v) {
    double s = 0;
    for (double x : v) {
      s += x;
    }
    return s;
  }
}
