package dev.twinmesh.deploy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.twinmesh.common.Names;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.HasMetadata;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.FieldSource;

/**
 * Every rendered object parses into fabric8's typed model with no field left over; custom resources
 * (Strimzi, KEDA, Prometheus Operator) parse as generic resources and carry the fields their operators need.
 */
class ManifestSchemaTest {
  /** Kinds whose CRDs come from operators (k8s/prerequisites.yaml): everything else must be a built-in type. */
  private static final Set<String> CUSTOM_KINDS = Set.of("kafka.strimzi.io/v1beta2/Kafka",
      "kafka.strimzi.io/v1beta2/KafkaNodePool", "kafka.strimzi.io/v1beta2/KafkaTopic", "keda.sh/v1alpha1/ScaledObject",
      "monitoring.coreos.com/v1/ServiceMonitor");

  @ParameterizedTest
  @FieldSource("dev.twinmesh.deploy.Manifests#OVERLAYS")
  void builtInKindsParseIntoTypedObjectsWithNoUnknownFields(String overlay) {
    Manifests m = Manifests.render(overlay);
    for (HasMetadata o : m.objects) {
      String id = o.getApiVersion() + "/" + o.getKind();
      if (CUSTOM_KINDS.contains(id)) {
        assertInstanceOf(GenericKubernetesResource.class, o, id);
      } else {
        assertFalse(o instanceof GenericKubernetesResource, overlay + ": " + id + " " + o.getMetadata().getName()
            + " is not a kind fabric8 knows (wrong apiVersion?)");
        assertEquals(List.of(), UnknownFields.in(o), overlay + ": unknown fields in " + id + " " + o.getMetadata().getName());
      }
    }
  }

  @ParameterizedTest
  @FieldSource("dev.twinmesh.deploy.Manifests#OVERLAYS")
  void kafkaTopicsAreTheMeshTopicsOnTheRenderedCluster(String overlay) {
    Manifests m = Manifests.render(overlay);
    Set<String> clusters = m.custom("Kafka").stream().map(k -> k.getMetadata().getName()).collect(Collectors.toSet());
    Map<String, GenericKubernetesResource> topics = m.custom("KafkaTopic").stream()
        .collect(Collectors.toMap(t -> t.getMetadata().getName(), t -> t));
    assertEquals(Set.of(Names.TOPIC_TRACES, Names.TOPIC_JOB_REQUESTS, Names.TOPIC_JOB_RESULTS, Names.TOPIC_JOB_DLQ),
        topics.keySet(), "one KafkaTopic per topic in mesh-common's Names");
    for (GenericKubernetesResource topic : topics.values()) {
      String name = topic.getMetadata().getName();
      assertTrue(clusters.contains(topic.getMetadata().getLabels().get("strimzi.io/cluster")), name + ": strimzi.io/cluster names a rendered Kafka");
      assertTrue(number(topic, "spec", "partitions") >= 1, name + " partitions");
      int replicas = number(topic, "spec", "replicas");
      int minIsr = number(topic, "spec", "config", "min.insync.replicas");
      assertTrue(replicas >= 1 && minIsr <= replicas, name + ": min.insync.replicas " + minIsr + " <= replicas " + replicas);
      assertTrue(longNumber(topic, "spec", "config", "retention.ms") > 0, name + " has a retention");
      assertTrue(replicas <= brokers(m), name + ": replicas " + replicas + " <= brokers " + brokers(m));
    }
  }

  @ParameterizedTest
  @FieldSource("dev.twinmesh.deploy.Manifests#OVERLAYS")
  void kafkaClusterIsKraftWithAPlainListenerAndNodePools(String overlay) {
    Manifests m = Manifests.render(overlay);
    GenericKubernetesResource kafka = m.custom("Kafka", "twin-kafka");
    assertEquals("enabled", kafka.getMetadata().getAnnotations().get("strimzi.io/kraft"));
    assertEquals("enabled", kafka.getMetadata().getAnnotations().get("strimzi.io/node-pools"));
    List<Map<String, Object>> listeners = kafka.get("spec", "kafka", "listeners");
    assertTrue(listeners.stream().anyMatch(l -> "plain".equals(l.get("name")) && Integer.valueOf(9092).equals(l.get("port"))));
    for (GenericKubernetesResource pool : m.custom("KafkaNodePool")) {
      assertEquals("twin-kafka", pool.getMetadata().getLabels().get("strimzi.io/cluster"));
      List<String> roles = pool.get("spec", "roles");
      assertTrue(roles.containsAll(List.of("controller", "broker")), "one pool, both KRaft roles");
      assertNotNull(pool.get("spec", "storage", "type"));
    }
  }

  @ParameterizedTest
  @FieldSource("dev.twinmesh.deploy.Manifests#OVERLAYS")
  void serviceMonitorsAndScaledObjectsCarryTheirRequiredFields(String overlay) {
    Manifests m = Manifests.render(overlay);
    assertEquals(3, m.custom("ServiceMonitor").size(), "one ServiceMonitor per service");
    for (GenericKubernetesResource sm : m.custom("ServiceMonitor")) {
      Map<String, String> selector = sm.get("spec", "selector", "matchLabels");
      assertFalse(selector == null || selector.isEmpty(), sm.getMetadata().getName() + " selects by labels");
      List<Map<String, Object>> endpoints = sm.get("spec", "endpoints");
      assertFalse(endpoints.isEmpty());
      endpoints.forEach(e -> assertNotNull(e.get("port"), sm.getMetadata().getName() + " endpoint names a port"));
    }
    for (GenericKubernetesResource so : m.custom("ScaledObject")) {
      assertNotNull(so.get("spec", "scaleTargetRef", "name"));
      int min = number(so, "spec", "minReplicaCount");
      int max = number(so, "spec", "maxReplicaCount");
      assertTrue(0 <= min && min <= max);
      List<Map<String, Object>> triggers = so.get("spec", "triggers");
      assertFalse(triggers.isEmpty());
      for (Map<String, Object> t : triggers) {
        assertEquals("kafka", t.get("type"));
        @SuppressWarnings("unchecked") Map<String, Object> md = (Map<String, Object>) t.get("metadata");
        for (String key : List.of("bootstrapServers", "consumerGroup", "topic", "lagThreshold")) {
          assertNotNull(md.get(key), "kafka trigger needs " + key);
        }
      }
    }
  }

  static int brokers(Manifests m) {
    return m.custom("KafkaNodePool").stream().mapToInt(p -> number(p, "spec", "replicas")).sum();
  }

  static int number(GenericKubernetesResource r, Object... path) {
    return Math.toIntExact(longNumber(r, path));
  }

  static long longNumber(GenericKubernetesResource r, Object... path) {
    Object v = r.get(path);
    assertNotNull(v, r.getKind() + " " + r.getMetadata().getName() + " lacks " + List.of(path));
    return v instanceof Number n ? n.longValue() : Long.parseLong(v.toString());
  }
}
