package dev.twinmesh.deploy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** docker/compose.yaml, read as data: the local stack's services run real commands and find each other. */
class ComposeStackTest {
  static final JsonNode COMPOSE = Kustomize.readOne(DeployFiles.docker().resolve("compose.yaml"));

  static Map<String, TwinMeshArgs> twinMeshServices() {
    Map<String, TwinMeshArgs> out = new HashMap<>();
    COMPOSE.path("services").fields().forEachRemaining(e -> {
      String image = e.getValue().path("image").asText();
      if (image.startsWith("twin-mesh/")) {
        Map<String, String> env = new HashMap<>(Dockerfile.forImage(image).env());
        e.getValue().path("environment").fields().forEachRemaining(v -> env.put(v.getKey(), v.getValue().asText()));
        out.put(e.getKey(), TwinMeshArgs.parse(strings(e.getValue().path("command")), env));
      }
    });
    return out;
  }

  @Test
  void everyTwinMeshServiceRunsARealCommandFromItsOwnDockerfile() {
    COMPOSE.path("services").fields().forEachRemaining(e -> {
      String image = e.getValue().path("image").asText();
      if (image.startsWith("twin-mesh/")) {
        String dockerfile = e.getValue().path("build").path("dockerfile").asText();
        assertEquals(DeployFiles.root().relativize(Dockerfile.forImage(image).path()).toString(), dockerfile, e.getKey());
        assertEquals("..", e.getValue().path("build").path("context").asText(), "the repository is the build context");
      }
    });
    Map<String, TwinMeshArgs> services = twinMeshServices();
    assertEquals(Set.of("model-init", "worker", "business", "monitoring"), services.keySet());
    assertEquals("model random", services.get("model-init").command());
    assertEquals(services.get("model-init").option("--out"), services.get("worker").option("--model"));
    long drain = java.time.Duration.parse(services.get("worker").option("--drain-timeout")).toSeconds();
    long grace = java.time.Duration.parse("PT" + COMPOSE.at("/services/worker/stop_grace_period").asText().toUpperCase()).toSeconds();
    assertTrue(grace > drain, "docker stops the worker after its drain: stop_grace_period " + grace + " s > " + drain + " s");
  }

  @Test
  void servicesFindEachOtherByTheirComposeNames() {
    Map<String, TwinMeshArgs> s = twinMeshServices();
    String[] dns = s.get("business").option("--worker-dns").split(":");
    assertEquals("worker", dns[0]);
    assertEquals(s.get("worker").intOption("--port"), Integer.parseInt(dns[1]));
    String kafka = "kafka:" + listenerPort(COMPOSE.at("/services/kafka/environment/KAFKA_LISTENERS").asText());
    assertEquals(kafka, s.get("business").option("--kafka"));
    assertEquals(kafka, s.get("monitoring").option("--kafka"));
    assertEquals("postgres", s.get("monitoring").option("--pg-host"));
    JsonNode pg = COMPOSE.at("/services/postgres/environment");
    assertEquals(pg.path("POSTGRES_DB").asText(), s.get("monitoring").option("--pg-database"));
    assertEquals(pg.path("POSTGRES_USER").asText(), s.get("monitoring").option("--pg-user"));
    assertEquals(pg.path("POSTGRES_PASSWORD").asText(), s.get("monitoring").option("--pg-password"));
    Set<String> names = new HashSet<>();
    COMPOSE.path("services").fieldNames().forEachRemaining(names::add);
    COMPOSE.path("services").fields().forEachRemaining(e -> e.getValue().path("depends_on").fieldNames()
        .forEachRemaining(d -> assertTrue(names.contains(d), e.getKey() + " depends on " + d)));
  }

  @Test
  void topicsAreCreatedWithThePartitionsTheClusterUses() {
    String script = COMPOSE.at("/services/kafka-topics/command/0").asText();
    Matcher m = Pattern.compile("(twin\\.[a-z.]+\\.v1):(\\d+)").matcher(script);
    Map<String, Integer> created = new HashMap<>();
    while (m.find()) {
      created.put(m.group(1), Integer.parseInt(m.group(2)));
    }
    Manifests gpu = Manifests.render("gpu");
    Map<String, Integer> cluster = new HashMap<>();
    gpu.custom("KafkaTopic").forEach(t -> cluster.put(t.getMetadata().getName(), ManifestSchemaTest.number(t, "spec", "partitions")));
    assertEquals(cluster, created);
  }

  @Test
  void prometheusScrapesEveryTwinMeshServerOnItsPort() {
    JsonNode prometheus = Kustomize.readOne(DeployFiles.docker().resolve("prometheus/prometheus.yml"));
    Map<String, Integer> targets = new HashMap<>();
    for (JsonNode job : prometheus.path("scrape_configs")) {
      for (JsonNode sc : job.path("static_configs")) {
        sc.path("targets").forEach(t -> targets.put(t.asText().split(":")[0], Integer.parseInt(t.asText().split(":")[1])));
      }
      for (JsonNode dns : job.path("dns_sd_configs")) {
        dns.path("names").forEach(n -> targets.put(n.asText(), dns.path("port").asInt()));
      }
    }
    twinMeshServices().forEach((service, args) -> {
      if (!args.command().equals("model random")) {
        assertEquals(args.intOption("--port"), targets.get(service), "Prometheus scrapes " + service);
      }
    });
  }

  @Test
  void grafanaLoadsTheDashboardFromWhereTheProviderLooks() {
    JsonNode provider = Kustomize.readOne(DeployFiles.docker().resolve("grafana/provisioning/dashboards/twin-mesh.yaml"));
    String path = provider.at("/providers/0/options/path").asText();
    List<String> mounts = strings(COMPOSE.at("/services/grafana/volumes"));
    assertTrue(mounts.contains("../k8s/base/grafana:" + path + ":ro"), "the dashboard the cluster uses, mounted at " + path);
    JsonNode datasource = Kustomize.readOne(DeployFiles.docker().resolve("grafana/provisioning/datasources/prometheus.yaml"));
    String uid = datasource.at("/datasources/0/uid").asText();
    JsonNode dashboard = Kustomize.readOne(DeployFiles.k8s().resolve("base/grafana/twin-mesh-dashboard.json"));
    for (JsonNode panel : dashboard.path("panels")) {
      assertEquals(uid, panel.at("/datasource/uid").asText(), panel.path("title").asText());
    }
  }

  private static int listenerPort(String listeners) {
    Matcher m = Pattern.compile("PLAINTEXT://:(\\d+)").matcher(listeners);
    assertTrue(m.find(), listeners);
    return Integer.parseInt(m.group(1));
  }

  static List<String> strings(JsonNode array) {
    List<String> out = new ArrayList<>();
    array.forEach(n -> out.add(n.asText()));
    return out;
  }
}
