package dev.twinmesh.deploy;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;

/** k8s/prerequisites.yaml: objects and custom resource kinds a cluster provides outside the overlays. */
final class Prerequisites {
  record ProvidedObject(String kind, String name, List<Integer> ports, List<String> keys) {}

  private Prerequisites() {}

  static List<ProvidedObject> objects(String overlay) {
    List<ProvidedObject> out = new ArrayList<>();
    for (JsonNode o : file().path("objects")) {
      if (o.has("overlays") && !contains(o.get("overlays"), overlay)) {
        continue;
      }
      List<Integer> ports = new ArrayList<>();
      o.path("ports").forEach(p -> ports.add(p.asInt()));
      List<String> keys = new ArrayList<>();
      o.path("keys").forEach(k -> keys.add(k.asText()));
      out.add(new ProvidedObject(o.get("kind").asText(), o.get("name").asText(), ports, keys));
    }
    return out;
  }

  static Optional<ProvidedObject> find(String overlay, String kind, String name) {
    return objects(overlay).stream().filter(o -> o.kind().equals(kind) && o.name().equals(name)).findFirst();
  }

  /** "group/Kind" of every custom resource kind the listed operators install. */
  static Set<String> customKinds() {
    Set<String> kinds = new TreeSet<>();
    for (JsonNode operator : file().path("operators")) {
      operator.path("provides").forEach(k -> kinds.add(k.asText()));
    }
    return kinds;
  }

  private static boolean contains(JsonNode array, String value) {
    for (JsonNode n : array) {
      if (n.asText().equals(value)) {
        return true;
      }
    }
    return false;
  }

  private static JsonNode file() {
    return Kustomize.readOne(DeployFiles.k8s().resolve("prerequisites.yaml"));
  }
}
