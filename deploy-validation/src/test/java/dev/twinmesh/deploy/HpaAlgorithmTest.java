package dev.twinmesh.deploy;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.fabric8.kubernetes.api.model.autoscaling.v2.HorizontalPodAutoscaler;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The transcription of the HPA controller, pinned on cases whose outcome the Kubernetes docs state. */
class HpaAlgorithmTest {
  private static final String HPA = """
      apiVersion: autoscaling/v2
      kind: HorizontalPodAutoscaler
      metadata: {name: w}
      spec:
        scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: w}
        minReplicas: 1
        maxReplicas: 10
        metrics:
          - type: Pods
            pods:
              metric: {name: q}
              target: {type: AverageValue, averageValue: "4"}
        behavior:
          scaleUp:
            stabilizationWindowSeconds: 0
            selectPolicy: Max
            policies:
              - {type: Pods, value: 2, periodSeconds: 60}
              - {type: Percent, value: 100, periodSeconds: 60}
          scaleDown:
            stabilizationWindowSeconds: 300
            selectPolicy: Min
            policies:
              - {type: Pods, value: 1, periodSeconds: 180}
      """;

  static HpaAlgorithm hpa() {
    return new HpaAlgorithm(new KubernetesSerialization().unmarshal(HPA, HorizontalPodAutoscaler.class));
  }

  @Test
  void withinTheToleranceNothingChanges() {
    assertEquals(3, hpa().reconcile(15, 3, Map.of("q", new double[] {4.3, 4.3, 4.3}), 0));
  }

  @Test
  void desiredIsCeilOfCurrentTimesRatio() {
    assertEquals(5, HpaAlgorithm.plainMetricReplicas(new double[] {6, 6, 6}, 0, 4, 3), "ceil(3 * 6/4) = 5");
  }

  @Test
  void startingPodsCountAsIdleWhenScalingUp() {
    // 2 ready pods at 8 (ratio 2), 2 starting: (16 + 0 + 0) / 4 = 4 = the target: hold.
    assertEquals(4, HpaAlgorithm.plainMetricReplicas(new double[] {8, 8}, 2, 4, 4));
  }

  @Test
  void scaleUpIsLimitedByTheLargerPolicyPerPeriod() {
    HpaAlgorithm a = hpa();
    // From 3, Pods allows 5 and Percent allows 6: Max picks 6, although the metric asks for 30.
    assertEquals(6, a.reconcile(15, 3, Map.of("q", new double[] {40, 40, 40}), 0));
    // Within the same minute the period started at 3 replicas, so still 6.
    assertEquals(6, a.reconcile(30, 6, Map.of("q", new double[] {40, 40, 40, 40, 40, 40}), 0));
    assertEquals(10, a.reconcile(90, 6, Map.of("q", new double[] {40, 40, 40, 40, 40, 40}), 0), "then up to maxReplicas");
  }

  @Test
  void scaleDownWaitsForTheStabilisationWindowThenStepsOnePodPerPeriod() {
    HpaAlgorithm a = hpa();
    double[] busy = {4, 4, 4, 4, 4};
    double[] idle = {0, 0, 0, 0, 0};
    assertEquals(5, a.reconcile(15, 5, Map.of("q", busy), 0));
    assertEquals(5, a.reconcile(30, 5, Map.of("q", idle), 0), "the busy recommendation is still in the window");
    assertEquals(5, a.reconcile(300, 5, Map.of("q", idle), 0));
    assertEquals(4, a.reconcile(330, 5, Map.of("q", idle), 0), "window passed: one pod per 180 s");
    assertEquals(4, a.reconcile(345, 4, Map.of("q", new double[] {0, 0, 0, 0}), 0));
    assertEquals(3, a.reconcile(510, 4, Map.of("q", new double[] {0, 0, 0, 0}), 0));
  }
}
