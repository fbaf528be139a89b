package dev.twinmesh.deploy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.ContainerPort;
import io.fabric8.kubernetes.api.model.EnvFromSource;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.PersistentVolumeClaim;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServicePort;
import io.fabric8.kubernetes.api.model.Volume;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.autoscaling.v2.HorizontalPodAutoscaler;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicy;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyPeer;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyIngressRule;
import io.fabric8.kubernetes.api.model.policy.v1.PodDisruptionBudget;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.FieldSource;

/** Within each rendered overlay: selectors select what they should, and every name referred to exists. */
class ManifestReferencesTest {

  @ParameterizedTest
  @FieldSource("dev.twinmesh.deploy.Manifests#OVERLAYS")
  void deploymentsSelectTheirOwnPodsAndNoOthers(String overlay) {
    Manifests m = Manifests.render(overlay);
    for (Deployment d : m.all(Deployment.class)) {
      assertTrue(Selectors.matches(d.getSpec().getSelector(), labels(d)), d.getMetadata().getName() + " selects its template");
      for (Deployment other : m.all(Deployment.class)) {
        if (other != d) {
          assertFalse(Selectors.matches(d.getSpec().getSelector(), labels(other)),
              d.getMetadata().getName() + " must not select the pods of " + other.getMetadata().getName());
        }
      }
    }
  }

  @ParameterizedTest
  @FieldSource("dev.twinmesh.deploy.Manifests#OVERLAYS")
  void servicesSelectOneDeploymentAndTargetNamedContainerPorts(String overlay) {
    Manifests m = Manifests.render(overlay);
    for (Service s : m.all(Service.class)) {
      Deployment d = only(m, s.getSpec().getSelector(), "Service " + s.getMetadata().getName());
      Set<String> portNames = containerPorts(d).stream().map(ContainerPort::getName).collect(Collectors.toSet());
      for (ServicePort port : s.getSpec().getPorts()) {
        assertTrue(portNames.contains(port.getTargetPort().getStrVal()), s.getMetadata().getName() + " targets a named container port");
      }
    }
    Service workers = m.get(Service.class, "twin-worker");
    assertEquals("None", workers.getSpec().getClusterIP(), "the workers' Service is headless: the gateway balances by itself");
  }

  @ParameterizedTest
  @FieldSource("dev.twinmesh.deploy.Manifests#OVERLAYS")
  void disruptionBudgetsCoverTheLongLivedDeployments(String overlay) {
    Manifests m = Manifests.render(overlay);
    Set<String> covered = new HashSet<>();
    for (PodDisruptionBudget pdb : m.all(PodDisruptionBudget.class)) {
      covered.add(only(m, pdb.getSpec().getSelector().getMatchLabels(), "PDB " + pdb.getMetadata().getName()).getMetadata().getName());
    }
    assertEquals(Set.of("twin-business", "twin-worker", "twin-monitoring"), covered);
  }

  @ParameterizedTest
  @FieldSource("dev.twinmesh.deploy.Manifests#OVERLAYS")
  void autoscalersTargetRenderedDeploymentsAndNeverTheSameOne(String overlay) {
    Manifests m = Manifests.render(overlay);
    List<String> targets = new java.util.ArrayList<>();
    for (HorizontalPodAutoscaler hpa : m.all(HorizontalPodAutoscaler.class)) {
      assertEquals("Deployment", hpa.getSpec().getScaleTargetRef().getKind());
      targets.add(m.get(Deployment.class, hpa.getSpec().getScaleTargetRef().getName()).getMetadata().getName());
      assertTrue(hpa.getSpec().getMinReplicas() >= 1 && hpa.getSpec().getMinReplicas() <= hpa.getSpec().getMaxReplicas());
      assertNotNull(hpa.getSpec().getBehavior().getScaleDown().getStabilizationWindowSeconds(), "a scale-down window against flapping");
    }
    for (GenericKubernetesResource so : m.custom("ScaledObject")) {
      String name = so.get("spec", "scaleTargetRef", "name");
      targets.add(m.get(Deployment.class, name).getMetadata().getName());
    }
    assertEquals(Set.of("twin-business", "twin-worker", "twin-jobs"), new HashSet<>(targets));
    assertEquals(targets.size(), new HashSet<>(targets).size(), "one autoscaler per Deployment");
  }

  @ParameterizedTest
  @FieldSource("dev.twinmesh.deploy.Manifests#OVERLAYS")
  void jobsTopicHasAPartitionForEveryConsumerThatCanRun(String overlay) {
    Manifests m = Manifests.render(overlay);
    GenericKubernetesResource scaled = m.custom("ScaledObject", "twin-jobs");
    Map<String, Object> trigger = ((List<Map<String, Map<String, Object>>>) scaled.get("spec", "triggers")).get(0).get("metadata");
    GenericKubernetesResource topic = m.custom("KafkaTopic", (String) trigger.get("topic"));
    int partitions = ManifestSchemaTest.number(topic, "spec", "partitions");
    int jobsMax = ManifestSchemaTest.number(scaled, "spec", "maxReplicaCount");
    int businessMax = m.get(HorizontalPodAutoscaler.class, "twin-business").getSpec().getMaxReplicas();
    assertTrue(partitions >= jobsMax + businessMax, "partitions " + partitions + " >= KEDA max " + jobsMax
        + " + business max " + businessMax + " (both run the jobs consumer in one group)");
  }

  @ParameterizedTest
  @FieldSource("dev.twinmesh.deploy.Manifests#OVERLAYS")
  void onlyTheBusinessServiceReachesTheWorkers(String overlay) {
    Manifests m = Manifests.render(overlay);
    NetworkPolicy policy = m.get(NetworkPolicy.class, "twin-worker-ingress");
    Deployment workers = m.get(Deployment.class, "twin-worker");
    assertTrue(Selectors.matches(policy.getSpec().getPodSelector(), labels(workers)));
    int workerPort = containerPorts(workers).get(0).getContainerPort();
    Set<String> admitted = new HashSet<>();
    for (NetworkPolicyIngressRule rule : policy.getSpec().getIngress()) {
      rule.getPorts().forEach(p -> assertEquals(workerPort, p.getPort().getIntVal(), "policy port is the worker's port"));
      for (NetworkPolicyPeer peer : rule.getFrom()) {
        if (peer.getNamespaceSelector() != null) {
          assertEquals("prometheus", peer.getPodSelector().getMatchLabels().get("app.kubernetes.io/name"),
              "from another namespace, only Prometheus");
          continue;
        }
        m.all(Deployment.class).stream().filter(d -> Selectors.matches(peer.getPodSelector(), labels(d)))
            .forEach(d -> admitted.add(d.getMetadata().getName()));
      }
    }
    assertEquals(Set.of("twin-business", "twin-jobs"), admitted);
  }

  @ParameterizedTest
  @FieldSource("dev.twinmesh.deploy.Manifests#OVERLAYS")
  void serviceMonitorsSelectAServiceByItsPortName(String overlay) {
    Manifests m = Manifests.render(overlay);
    for (GenericKubernetesResource sm : m.custom("ServiceMonitor")) {
      Map<String, String> selector = sm.get("spec", "selector", "matchLabels");
      List<Service> selected = m.all(Service.class).stream().filter(s -> Selectors.matches(selector, s.getMetadata().getLabels())).toList();
      assertEquals(1, selected.size(), sm.getMetadata().getName() + " selects one Service");
      List<Map<String, Object>> endpoints = sm.get("spec", "endpoints");
      for (Map<String, Object> e : endpoints) {
        assertTrue(selected.get(0).getSpec().getPorts().stream().anyMatch(p -> p.getName().equals(e.get("port"))));
        assertEquals("/metrics", e.get("path"));
      }
    }
  }

  @ParameterizedTest
  @FieldSource("dev.twinmesh.deploy.Manifests#OVERLAYS")
  void everyConfigMapSecretAndVolumeClaimReferredToExists(String overlay) {
    Manifests m = Manifests.render(overlay);
    m.containers().forEach(e -> {
      Container c = e.getValue();
      String where = e.getKey().getMetadata().getName() + "/" + c.getName();
      for (EnvFromSource from : c.getEnvFrom()) {
        if (from.getConfigMapRef() != null) {
          m.get(ConfigMap.class, from.getConfigMapRef().getName());
        }
        if (from.getSecretRef() != null) {
          secretKeys(m, from.getSecretRef().getName(), where);
        }
      }
      for (EnvVar env : c.getEnv()) {
        if (env.getValueFrom() != null && env.getValueFrom().getSecretKeyRef() != null) {
          var ref = env.getValueFrom().getSecretKeyRef();
          assertTrue(secretKeys(m, ref.getName(), where).contains(ref.getKey()), where + ": Secret " + ref.getName() + " has key " + ref.getKey());
        }
        if (env.getValueFrom() != null && env.getValueFrom().getConfigMapKeyRef() != null) {
          var ref = env.getValueFrom().getConfigMapKeyRef();
          assertTrue(m.get(ConfigMap.class, ref.getName()).getData().containsKey(ref.getKey()));
        }
      }
      Set<String> volumes = e.getKey().getSpec().getTemplate().getSpec().getVolumes().stream().map(Volume::getName).collect(Collectors.toSet());
      c.getVolumeMounts().forEach(vm -> assertTrue(volumes.contains(vm.getName()), where + " mounts a declared volume " + vm.getName()));
    });
    for (Deployment d : m.all(Deployment.class)) {
      for (Volume v : d.getSpec().getTemplate().getSpec().getVolumes()) {
        if (v.getSecret() != null) {
          secretKeys(m, v.getSecret().getSecretName(), d.getMetadata().getName());
        }
        if (v.getConfigMap() != null) {
          m.get(ConfigMap.class, v.getConfigMap().getName());
        }
        if (v.getPersistentVolumeClaim() != null) {
          m.get(PersistentVolumeClaim.class, v.getPersistentVolumeClaim().getClaimName());
        }
      }
    }
  }

  @ParameterizedTest
  @FieldSource("dev.twinmesh.deploy.Manifests#OVERLAYS")
  void customResourceKindsComeFromListedOperators(String overlay) {
    Manifests m = Manifests.render(overlay);
    for (GenericKubernetesResource r : m.all(GenericKubernetesResource.class)) {
      String group = r.getApiVersion().substring(0, r.getApiVersion().indexOf('/'));
      assertTrue(Prerequisites.customKinds().contains(group + "/" + r.getKind()),
          r.getKind() + ": no operator in k8s/prerequisites.yaml provides it");
    }
  }

  /** The keys of a Secret rendered by the overlay or provided by the cluster (prerequisites). */
  static Set<String> secretKeys(Manifests m, String name, String where) {
    var rendered = m.find(Secret.class, name);
    if (rendered.isPresent()) {
      Set<String> keys = new HashSet<>();
      if (rendered.get().getData() != null) keys.addAll(rendered.get().getData().keySet());
      if (rendered.get().getStringData() != null) keys.addAll(rendered.get().getStringData().keySet());
      return keys;
    }
    return Prerequisites.find(m.overlay, "Secret", name).map(p -> Set.copyOf(p.keys()))
        .orElseGet(() -> fail(m.overlay + ": " + where + " refers to Secret " + name + ", neither rendered nor a prerequisite"));
  }

  static Deployment only(Manifests m, Map<String, String> selector, String what) {
    List<Deployment> selected = m.all(Deployment.class).stream().filter(d -> Selectors.matches(selector, labels(d))).toList();
    assertEquals(1, selected.size(), what + " selects exactly one Deployment's pods");
    return selected.get(0);
  }

  static Map<String, String> labels(Deployment d) {
    return d.getSpec().getTemplate().getMetadata().getLabels();
  }

  static List<ContainerPort> containerPorts(Deployment d) {
    return d.getSpec().getTemplate().getSpec().getContainers().stream().flatMap(c -> c.getPorts().stream()).toList();
  }
}
