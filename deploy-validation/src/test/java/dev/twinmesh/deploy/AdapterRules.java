package dev.twinmesh.deploy;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** The prometheus-adapter rules in k8s/autoscaling: which Prometheus series become which custom metric. */
final class AdapterRules {
  private AdapterRules() {}

  /** Custom metric name (as an HPA asks for it) to the Prometheus series it is computed from. */
  static Map<String, String> customMetrics() {
    JsonNode values = Kustomize.readOne(DeployFiles.k8s().resolve("autoscaling/prometheus-adapter-values.yaml"));
    Map<String, String> out = new LinkedHashMap<>();
    for (JsonNode rule : values.path("rules").path("custom")) {
      String series = seriesName(rule.get("seriesQuery").asText());
      Matcher m = Pattern.compile(rule.path("name").path("matches").asText("^(.*)$")).matcher(series);
      if (!m.find()) {
        throw new IllegalArgumentException("rule name.matches does not match its own series " + series);
      }
      // prometheus-adapter uses Go's regexp replacement syntax: ${1}; Java's is $1.
      String as = rule.path("name").path("as").asText("${1}").replaceAll("\\$\\{(\\d+)}", "\\$$1");
      out.put(m.replaceFirst(as), series);
    }
    return out;
  }

  static List<String> seriesQueried() {
    return new ArrayList<>(customMetrics().values());
  }

  static String seriesName(String seriesQuery) {
    int brace = seriesQuery.indexOf('{');
    return (brace < 0 ? seriesQuery : seriesQuery.substring(0, brace)).strip();
  }
}
