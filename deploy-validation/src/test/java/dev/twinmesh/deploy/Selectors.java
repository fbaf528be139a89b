package dev.twinmesh.deploy;

import io.fabric8.kubernetes.api.model.LabelSelector;
import io.fabric8.kubernetes.api.model.LabelSelectorRequirement;
import java.util.Map;

/** Kubernetes label selector semantics: matchLabels and matchExpressions (In, NotIn, Exists, DoesNotExist). */
final class Selectors {
  private Selectors() {}

  static boolean matches(Map<String, String> selector, Map<String, String> labels) {
    return selector != null && !selector.isEmpty()
        && selector.entrySet().stream().allMatch(e -> e.getValue().equals(labels.get(e.getKey())));
  }

  static boolean matches(LabelSelector selector, Map<String, String> labels) {
    if (selector == null) {
      return false;
    }
    Map<String, String> ml = selector.getMatchLabels();
    boolean labelsOk = ml == null || ml.entrySet().stream().allMatch(e -> e.getValue().equals(labels.get(e.getKey())));
    boolean expressionsOk = selector.getMatchExpressions() == null
        || selector.getMatchExpressions().stream().allMatch(r -> matches(r, labels));
    return labelsOk && expressionsOk;
  }

  private static boolean matches(LabelSelectorRequirement r, Map<String, String> labels) {
    String value = labels.get(r.getKey());
    return switch (r.getOperator()) {
      case "In" -> value != null && r.getValues().contains(value);
      case "NotIn" -> value == null || !r.getValues().contains(value);
      case "Exists" -> value != null;
      case "DoesNotExist" -> value == null;
      default -> throw new IllegalArgumentException("unknown selector operator " + r.getOperator());
    };
  }
}
