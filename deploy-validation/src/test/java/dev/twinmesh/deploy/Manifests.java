package dev.twinmesh.deploy;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.KubernetesResource;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.Optional;
import java.util.stream.Stream;

/** One overlay as kustomize renders it, parsed into fabric8's typed objects (custom resources stay generic). */
final class Manifests {
  static final List<String> OVERLAYS = List.of("dev", "gpu");
  private static final KubernetesSerialization SERIALIZATION = new KubernetesSerialization();

  final String overlay;
  final List<ObjectNode> trees;
  final List<HasMetadata> objects;

  private Manifests(String overlay, List<ObjectNode> trees) {
    this.overlay = overlay;
    this.trees = trees;
    this.objects = new ArrayList<>();
    for (ObjectNode tree : trees) {
      KubernetesResource parsed = SERIALIZATION.unmarshal(tree.toString(), KubernetesResource.class);
      objects.add((HasMetadata) parsed);
    }
  }

  static Manifests render(String overlay) {
    return new Manifests(overlay, Kustomize.build(DeployFiles.k8s().resolve("overlays").resolve(overlay)));
  }

  static Path overlayDir(String overlay) {
    return DeployFiles.k8s().resolve("overlays").resolve(overlay);
  }

  <T extends HasMetadata> List<T> all(Class<T> type) {
    return objects.stream().filter(type::isInstance).map(type::cast).toList();
  }

  <T extends HasMetadata> Optional<T> find(Class<T> type, String name) {
    return all(type).stream().filter(o -> o.getMetadata().getName().equals(name)).findFirst();
  }

  <T extends HasMetadata> T get(Class<T> type, String name) {
    return find(type, name).orElseThrow(() -> new NoSuchElementException(
        overlay + ": no " + type.getSimpleName() + " named " + name));
  }

  List<GenericKubernetesResource> custom(String kind) {
    return all(GenericKubernetesResource.class).stream().filter(r -> r.getKind().equals(kind)).toList();
  }

  GenericKubernetesResource custom(String kind, String name) {
    return custom(kind).stream().filter(r -> r.getMetadata().getName().equals(name)).findFirst()
        .orElseThrow(() -> new NoSuchElementException(overlay + ": no " + kind + " named " + name));
  }

  /** Every container of every Deployment, init containers included, with the Deployment it belongs to. */
  Stream<Map.Entry<Deployment, Container>> containers() {
    return all(Deployment.class).stream().flatMap(d -> Stream.concat(
            d.getSpec().getTemplate().getSpec().getInitContainers().stream(),
            d.getSpec().getTemplate().getSpec().getContainers().stream())
        .map(c -> Map.entry(d, c)));
  }

  /** The Deployment whose pods carry app.kubernetes.io/component = {@code component}. */
  Deployment deployment(String component) {
    return all(Deployment.class).stream()
        .filter(d -> component.equals(d.getSpec().getTemplate().getMetadata().getLabels().get("app.kubernetes.io/component")))
        .findFirst().orElseThrow(() -> new NoSuchElementException(overlay + ": no Deployment for " + component));
  }

  static String component(Deployment d) {
    return d.getSpec().getTemplate().getMetadata().getLabels().get("app.kubernetes.io/component");
  }

  @Override
  public String toString() {
    return overlay;
  }
}
