package dev.twinmesh.deploy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.FieldSource;

/** The Java renderer against the real kustomize, and its refusal of what it does not implement. */
class KustomizeRenderingTest {

  @ParameterizedTest
  @FieldSource("dev.twinmesh.deploy.Manifests#OVERLAYS")
  void javaRenderingEqualsKubectlKustomize(String overlay) throws Exception {
    String kubectl = onPath("kubectl");
    Assumptions.assumeTrue(kubectl != null, "no kubectl on PATH: the overlays were rendered by the Java renderer only");
    int kustomizeMajor = kustomizeMajorVersion(kubectl);
    Assumptions.assumeTrue(kustomizeMajor >= 5, "kubectl's built-in kustomize is v" + kustomizeMajor
        + ", older than the v5 the overlays are written for (Debian's kubernetes-client 1.20 carries v2):"
        + " rendered by the Java renderer only");
    Process p = new ProcessBuilder(kubectl, "kustomize", Manifests.overlayDir(overlay).toString())
        .redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertTrue(p.waitFor(60, TimeUnit.SECONDS), "kubectl kustomize did not finish");
    assertEquals(0, p.exitValue(), out);
    Path rendered = Files.writeString(Files.createTempFile("kustomize-" + overlay, ".yaml"), out);
    assertEquals(byIdentity(Kustomize.readAll(rendered)), byIdentity(Kustomize.build(Manifests.overlayDir(overlay))));
  }

  @Test
  void everyOverlayRendersTheWholeMesh() {
    for (String overlay : Manifests.OVERLAYS) {
      Map<String, ObjectNode> objects = byIdentity(Kustomize.build(Manifests.overlayDir(overlay)));
      for (String id : new String[] {"Deployment/twin-business", "Deployment/twin-worker", "Deployment/twin-monitoring",
          "Deployment/twin-jobs", "Service/twin-worker", "HorizontalPodAutoscaler/twin-worker", "ScaledObject/twin-jobs"}) {
        assertTrue(objects.containsKey(id), overlay + " renders " + id);
      }
      objects.values().stream().filter(o -> !o.path("kind").asText().equals("Namespace")).forEach(o ->
          assertEquals("twin-mesh", o.path("metadata").path("namespace").asText(), overlay + ": namespace of " + o.path("metadata")));
    }
  }

  @Test
  void refusesKustomizationFieldsItDoesNotImplement(@TempDir Path dir) throws Exception {
    Files.writeString(dir.resolve("kustomization.yaml"), "resources: []\nnamePrefix: x-\n");
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Kustomize.build(dir));
    assertTrue(e.getMessage().contains("namePrefix"), e.getMessage());
  }

  @Test
  void refusesPatchesThatMissTheirTarget(@TempDir Path dir) throws Exception {
    Files.writeString(dir.resolve("cm.yaml"), "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\ndata: {k: v}\n");
    Files.writeString(dir.resolve("kustomization.yaml"), """
        resources: [cm.yaml]
        patches:
          - target: {kind: ConfigMap, name: a}
            patch: |-
              - op: replace
                path: /data/missing
                value: x
        """);
    assertThrows(IllegalArgumentException.class, () -> Kustomize.build(dir));
  }

  static Map<String, ObjectNode> byIdentity(java.util.List<ObjectNode> objects) {
    return objects.stream().collect(Collectors.toMap(
        o -> o.path("kind").asText() + "/" + o.path("metadata").path("name").asText(), o -> o, (a, b) -> {
          throw new IllegalStateException("two objects named " + a.path("metadata"));
        }, TreeMap::new));
  }

  /** The major version of the kustomize built into {@code kubectl}; 0 when it does not say. */
  static int kustomizeMajorVersion(String kubectl) throws Exception {
    Process p = new ProcessBuilder(kubectl, "version", "--client").redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    p.waitFor(30, TimeUnit.SECONDS);
    java.util.regex.Matcher m = java.util.regex.Pattern.compile("Kustomize Version: v(\\d+)").matcher(out);
    return m.find() ? Integer.parseInt(m.group(1)) : 0;
  }

  static String onPath(String program) {
    for (String dir : System.getenv().getOrDefault("PATH", "").split(File.pathSeparator)) {
      File f = new File(dir, program);
      if (f.canExecute()) {
        return f.getPath();
      }
    }
    return null;
  }
}
