package dev.twinmesh.deploy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fabric8.kubernetes.api.model.KubernetesResource;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/** The checks themselves: each would catch the mistake it exists for. */
class CheckersCatchMistakesTest {

  @Test
  void aMisspelledFieldDeepInAPodSpecIsFound() {
    String yaml = """
        apiVersion: apps/v1
        kind: Deployment
        metadata: {name: x}
        spec:
          selector: {matchLabels: {a: b}}
          template:
            metadata: {labels: {a: b}}
            spec:
              containers:
                - name: c
                  image: i
                  readinesProbe: {httpGet: {path: /health, port: 8080}}
        """;
    Object parsed = new KubernetesSerialization().unmarshal(yaml, KubernetesResource.class);
    List<String> unknown = UnknownFields.in(parsed);
    assertEquals(1, unknown.size(), unknown.toString());
    assertTrue(unknown.get(0).contains("containers[0]") && unknown.get(0).contains("readinesProbe"), unknown.get(0));
  }

  @Test
  void anOptionTwinMeshDoesNotHaveIsRefused() {
    assertThrows(CommandLine.ParameterException.class,
        () -> TwinMeshArgs.parse(List.of("gateway", "--worker-dnss", "twin-worker:8081"), Map.of()));
    assertThrows(CommandLine.ParameterException.class, () -> TwinMeshArgs.parse(List.of("serve"), Map.of()));
  }

  @Test
  void defaultsResolveFromTheContainersEnvironmentNotTheTestsOwn() {
    TwinMeshArgs args = TwinMeshArgs.parse(List.of("monitor"), Map.of("KAFKA_BOOTSTRAP_SERVERS", "k:9092"));
    assertEquals("k:9092", args.option("--kafka"));
    assertEquals("127.0.0.1", args.option("--pg-host"), "the written fallback when the variable is unset");
    assertEquals(8090, args.intOption("--port"));
  }

  @Test
  void kubernetesVariableReferencesAreExpandedBeforeParsing() {
    TwinMeshArgs args = TwinMeshArgs.parse(List.of("gateway", "--kafka", "$(KAFKA)"), Map.of("KAFKA", "b:9092"));
    assertEquals("b:9092", args.option("--kafka"));
  }
}
