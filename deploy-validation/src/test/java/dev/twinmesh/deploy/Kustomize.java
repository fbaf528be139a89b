package dev.twinmesh.deploy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * The part of kustomize that k8s/ uses, in Java, so the manifests render in every test run without a
 * kustomize binary: {@code resources} (files and kustomization folders), {@code configMapGenerator}
 * (files, literals; name hash disabled), {@code labels} (metadata only), {@code namespace},
 * {@code images} and {@code patches} (inline JSON 6902, targeted by kind and name). Anything else in a
 * kustomization.yaml is refused, so a new feature cannot slip past the checks unrendered.
 * {@code KustomizeRenderingTest} proves the output equal to {@code kubectl kustomize} where one is installed.
 */
final class Kustomize {
  static final ObjectMapper YAML = new YAMLMapper(new YAMLFactory());
  private static final Set<String> SUPPORTED = Set.of("apiVersion", "kind", "resources", "configMapGenerator",
      "labels", "namespace", "images", "patches");
  private static final Set<String> CLUSTER_SCOPED = Set.of("Namespace", "ClusterRole", "ClusterRoleBinding",
      "CustomResourceDefinition", "PersistentVolume", "StorageClass", "PriorityClass");

  private Kustomize() {}

  /** Renders the kustomization in {@code dir}: what {@code kubectl kustomize dir} prints, as JSON trees. */
  static List<ObjectNode> build(Path dir) {
    JsonNode k = readOne(dir.resolve("kustomization.yaml"));
    for (Iterator<String> it = k.fieldNames(); it.hasNext(); ) {
      String field = it.next();
      if (!SUPPORTED.contains(field)) {
        throw new IllegalArgumentException(dir + ": kustomization field '" + field + "' is not supported by this renderer");
      }
    }
    List<ObjectNode> resources = new ArrayList<>();
    for (JsonNode entry : k.path("resources")) {
      Path path = dir.resolve(entry.asText()).normalize();
      resources.addAll(Files.isDirectory(path) ? build(path) : readAll(path));
    }
    for (JsonNode generator : k.path("configMapGenerator")) {
      resources.add(configMap(dir, generator));
    }
    for (JsonNode patch : k.path("patches")) {
      applyPatch(resources, patch);
    }
    for (JsonNode label : k.path("labels")) {
      addLabels(resources, label);
    }
    if (k.hasNonNull("namespace")) {
      String namespace = k.get("namespace").asText();
      resources.stream().filter(r -> !CLUSTER_SCOPED.contains(r.path("kind").asText()))
          .forEach(r -> ((ObjectNode) r.get("metadata")).put("namespace", namespace));
    }
    for (JsonNode image : k.path("images")) {
      resources.forEach(r -> setImages(r, image));
    }
    return resources;
  }

  static List<ObjectNode> readAll(Path file) {
    try {
      List<ObjectNode> docs = new ArrayList<>();
      for (Iterator<JsonNode> it = YAML.readerFor(JsonNode.class).readValues(Files.readString(file)); it.hasNext(); ) {
        JsonNode doc = it.next();
        if (doc != null && !doc.isNull() && !doc.isMissingNode()) {
          docs.add((ObjectNode) doc);
        }
      }
      return docs;
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + file, e);
    }
  }

  static JsonNode readOne(Path file) {
    List<ObjectNode> docs = readAll(file);
    if (docs.size() != 1) {
      throw new IllegalArgumentException(file + ": expected one YAML document, found " + docs.size());
    }
    return docs.get(0);
  }

  private static ObjectNode configMap(Path dir, JsonNode generator) {
    JsonNode options = generator.path("options");
    if (!options.path("disableNameSuffixHash").asBoolean(false)) {
      throw new IllegalArgumentException(dir + ": configMapGenerator without disableNameSuffixHash is not supported");
    }
    ObjectNode cm = YAML.createObjectNode().put("apiVersion", "v1").put("kind", "ConfigMap");
    ObjectNode metadata = cm.putObject("metadata").put("name", generator.get("name").asText());
    if (options.has("labels")) {
      metadata.set("labels", options.get("labels").deepCopy());
    }
    ObjectNode data = cm.putObject("data");
    for (JsonNode file : generator.path("files")) {
      Path path = dir.resolve(file.asText()).normalize();
      if (!path.startsWith(dir)) {
        throw new IllegalArgumentException(dir + ": kustomize refuses files outside the kustomization: " + file);
      }
      try {
        data.put(path.getFileName().toString(), Files.readString(path));
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
    for (JsonNode literal : generator.path("literals")) {
      String[] kv = literal.asText().split("=", 2);
      data.put(kv[0], kv[1]);
    }
    return cm;
  }

  private static void applyPatch(List<ObjectNode> resources, JsonNode patch) {
    JsonNode target = patch.path("target");
    if (!patch.has("patch") || target.isMissingNode()) {
      throw new IllegalArgumentException("only inline JSON 6902 patches with a target are supported: " + patch);
    }
    JsonNode operations;
    try {
      operations = YAML.readTree(patch.get("patch").asText());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    if (!operations.isArray()) {
      throw new IllegalArgumentException("only JSON 6902 patches (a list of operations) are supported: " + patch);
    }
    int matched = 0;
    for (ObjectNode r : resources) {
      if (matches(target, r)) {
        JsonPatch.apply(r, (ArrayNode) operations);
        matched++;
      }
    }
    if (matched == 0) {
      throw new IllegalArgumentException("patch target matches no resource: " + target);
    }
  }

  private static boolean matches(JsonNode target, ObjectNode r) {
    for (Map.Entry<String, String> e : Map.of("kind", "kind", "name", "name").entrySet()) {
      if (target.has(e.getKey())) {
        String actual = e.getKey().equals("kind") ? r.path("kind").asText() : r.path("metadata").path("name").asText();
        if (!Pattern.compile("^(?:" + target.get(e.getKey()).asText() + ")$").matcher(actual).matches()) {
          return false;
        }
      }
    }
    for (Iterator<String> it = target.fieldNames(); it.hasNext(); ) {
      String field = it.next();
      if (!field.equals("kind") && !field.equals("name")) {
        throw new IllegalArgumentException("patch target field '" + field + "' is not supported");
      }
    }
    return true;
  }

  private static void addLabels(List<ObjectNode> resources, JsonNode label) {
    if (label.path("includeSelectors").asBoolean(false) || label.path("includeTemplates").asBoolean(false)) {
      throw new IllegalArgumentException("labels with includeSelectors or includeTemplates are not supported");
    }
    for (ObjectNode r : resources) {
      ObjectNode metadata = (ObjectNode) r.get("metadata");
      ObjectNode labels = metadata.has("labels") ? (ObjectNode) metadata.get("labels") : metadata.putObject("labels");
      labels.setAll((ObjectNode) label.get("pairs").deepCopy());
    }
  }

  /** kustomize's image transformer: every container and init container image whose name matches. */
  private static void setImages(JsonNode node, JsonNode image) {
    if (node.isObject()) {
      for (String list : List.of("containers", "initContainers")) {
        for (JsonNode container : node.path(list)) {
          String current = container.path("image").asText();
          String name = imageName(current);
          if (name.equals(image.get("name").asText())) {
            String tag = current.substring(name.length());
            String newName = image.path("newName").asText(name);
            String newTag = image.hasNonNull("newTag") ? ":" + image.get("newTag").asText() : tag;
            ((ObjectNode) container).put("image", newName + newTag);
          }
        }
      }
      node.elements().forEachRemaining(child -> setImages(child, image));
    } else if (node.isArray()) {
      node.elements().forEachRemaining(child -> setImages(child, image));
    }
  }

  private static String imageName(String image) {
    int at = image.indexOf('@');
    String withoutDigest = at >= 0 ? image.substring(0, at) : image;
    int colon = withoutDigest.lastIndexOf(':');
    return colon > withoutDigest.lastIndexOf('/') ? withoutDigest.substring(0, colon) : withoutDigest;
  }
}
