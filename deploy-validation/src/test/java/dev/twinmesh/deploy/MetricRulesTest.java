package dev.twinmesh.deploy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fabric8.kubernetes.api.model.autoscaling.v2.HorizontalPodAutoscaler;
import io.fabric8.kubernetes.api.model.autoscaling.v2.MetricSpec;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.FieldSource;

/**
 * The HPAs ask the custom metrics API only for metrics the adapter rules serve; that the rules' series are
 * really exported is checked against running services in {@link LiveServicesTest}.
 */
class MetricRulesTest {

  @ParameterizedTest
  @FieldSource("dev.twinmesh.deploy.Manifests#OVERLAYS")
  void everyHpaPodsMetricIsServedByAnAdapterRule(String overlay) {
    Map<String, String> served = AdapterRules.customMetrics();
    for (HorizontalPodAutoscaler hpa : Manifests.render(overlay).all(HorizontalPodAutoscaler.class)) {
      for (MetricSpec metric : hpa.getSpec().getMetrics()) {
        if (metric.getType().equals("Pods")) {
          String name = metric.getPods().getMetric().getName();
          assertTrue(served.containsKey(name), hpa.getMetadata().getName() + " asks for " + name + "; adapter serves " + served.keySet());
        } else {
          assertEquals("Resource", metric.getType(), "Pods metrics through the adapter, or CPU");
        }
      }
    }
  }

  @Test
  void workersScaleOnQueueDepthThenKvCacheNeverOnGpuUtilisation() {
    HorizontalPodAutoscaler hpa = Manifests.render("gpu").get(HorizontalPodAutoscaler.class, "twin-worker");
    List<String> series = hpa.getSpec().getMetrics().stream()
        .map(m -> AdapterRules.customMetrics().get(m.getPods().getMetric().getName())).toList();
    assertEquals(List.of("vllm:num_requests_waiting", "vllm:kv_cache_usage_perc"), series);
  }

  @Test
  void renamingFollowsGoRegexpSyntax() {
    assertEquals("vllm:num_requests_waiting", AdapterRules.customMetrics().get("vllm_num_requests_waiting"));
    assertEquals("twin_gateway_requests_in_flight", AdapterRules.customMetrics().get("twin_gateway_requests_in_flight"));
  }

  /** Every worker and gateway series the dashboard plots (other exporters' series, DCGM and kube-state-metrics, aside). */
  static Set<String> dashboardSeries(String prefix) {
    Set<String> names = new TreeSet<>();
    var dashboard = Kustomize.readOne(DeployFiles.k8s().resolve("base/grafana/twin-mesh-dashboard.json"));
    for (var panel : dashboard.path("panels")) {
      for (var target : panel.path("targets")) {
        var m = java.util.regex.Pattern.compile("\\b" + java.util.regex.Pattern.quote(prefix) + "[A-Za-z0-9_:]*").matcher(target.path("expr").asText());
        while (m.find()) {
          names.add(m.group());
        }
      }
    }
    return names;
  }
}
