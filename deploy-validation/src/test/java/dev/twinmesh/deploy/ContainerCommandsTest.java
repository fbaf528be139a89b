package dev.twinmesh.deploy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.ContainerPort;
import io.fabric8.kubernetes.api.model.EnvFromSource;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.Probe;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.VolumeMount;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.FieldSource;
import picocli.CommandLine;

/**
 * Container arguments are real twin-mesh commands (parsed by the real picocli spec, nothing runs), and what
 * they name exists: ports, the workers' headless Service, the Kafka bootstrap Service, PostgreSQL, the
 * API key file.
 */
class ContainerCommandsTest {
  /** Read by what is not a twin-mesh option: the JVM, DJL and the NVIDIA runtime. */
  static final Set<String> ENV_READ_BY_RUNTIME = Set.of("JAVA_TOOL_OPTIONS", "JAVA_HOME", "PATH", "ENGINE_CACHE_DIR",
      "DJL_CACHE_DIR", "NVIDIA_VISIBLE_DEVICES", "NVIDIA_DRIVER_CAPABILITIES");
  private static final Pattern RAG_ENV = Pattern.compile("env(?:\\.get|\\.getOrDefault|,)\\(?\\s*\"([A-Z_]+)\"");
  /** Slowest decoding a worker is sized for when draining: tokens per second per sequence. */
  static final int MIN_DECODE_TOKENS_PER_SECOND = 20;
  /** After the drain: stop the engine, free the model, close Vert.x. */
  static final int CLOSE_SECONDS = 10;

  @ParameterizedTest
  @FieldSource("dev.twinmesh.deploy.Manifests#OVERLAYS")
  void everyContainerRunsARealTwinMeshCommand(String overlay) {
    Manifests m = Manifests.render(overlay);
    m.containers().forEach(e -> {
      Container c = e.getValue();
      Dockerfile image = Dockerfile.forImage(c.getImage());
      assertEquals(List.of("java", "-jar", "/app/twin-mesh.jar"), image.entrypoint(), c.getImage() + " runs twin-mesh");
      assertEquals(List.of(), c.getCommand(), "keep the image's entrypoint; args are twin-mesh arguments");
      try {
        TwinMeshArgs.parse(c.getArgs(), env(m, c));
      } catch (CommandLine.ParameterException ex) {
        fail(overlay + ": " + e.getKey().getMetadata().getName() + "/" + c.getName() + " args " + c.getArgs() + ": " + ex.getMessage());
      }
    });
  }

  @ParameterizedTest
  @FieldSource("dev.twinmesh.deploy.Manifests#OVERLAYS")
  void servicesListenWhereTheirPortsAndProbesPoint(String overlay) {
    Manifests m = Manifests.render(overlay);
    Map<String, String> commands = Map.of("business", "gateway", "jobs", "gateway", "worker", "worker", "monitoring", "monitor");
    for (Deployment d : m.all(Deployment.class)) {
      Container c = d.getSpec().getTemplate().getSpec().getContainers().get(0);
      TwinMeshArgs args = TwinMeshArgs.parse(c.getArgs(), env(m, c));
      assertEquals(commands.get(Manifests.component(d)), args.command(), d.getMetadata().getName());
      ContainerPort http = c.getPorts().stream().filter(p -> "http".equals(p.getName())).findFirst().orElseThrow();
      assertEquals(http.getContainerPort(), args.intOption("--port"), d.getMetadata().getName() + " listens on its http port");
      assertTrue(Dockerfile.forImage(c.getImage()).exposed().contains(http.getContainerPort()), c.getImage() + " EXPOSEs " + http.getContainerPort());
      for (Probe probe : new Probe[] {c.getStartupProbe(), c.getReadinessProbe(), c.getLivenessProbe()}) {
        if (probe != null) {
          assertEquals("http", probe.getHttpGet().getPort().getStrVal(), d.getMetadata().getName() + " probes its http port");
        }
      }
      assertTrue(c.getReadinessProbe() != null && c.getLivenessProbe() != null, d.getMetadata().getName() + " has readiness and liveness");
    }
  }

  @ParameterizedTest
  @FieldSource("dev.twinmesh.deploy.Manifests#OVERLAYS")
  void gatewaysFindWorkersThroughTheHeadlessServiceAndKafkaThroughStrimzi(String overlay) {
    Manifests m = Manifests.render(overlay);
    Deployment workers = m.get(Deployment.class, "twin-worker");
    int workerPort = ManifestReferencesTest.containerPorts(workers).get(0).getContainerPort();
    for (String name : List.of("twin-business", "twin-jobs")) {
      Container c = m.get(Deployment.class, name).getSpec().getTemplate().getSpec().getContainers().get(0);
      TwinMeshArgs args = TwinMeshArgs.parse(c.getArgs(), env(m, c));
      String[] dns = args.option("--worker-dns").split(":");
      Service headless = m.get(Service.class, dns[0]);
      assertEquals("None", headless.getSpec().getClusterIP(), name + ": --worker-dns names a headless Service");
      assertTrue(Selectors.matches(headless.getSpec().getSelector(), ManifestReferencesTest.labels(workers)));
      assertEquals(workerPort, Integer.parseInt(dns[1]), name + ": DNS answers are pod IPs, so the port is the container's");
      assertEquals(strimziBootstrap(m), args.option("--kafka"), name + " --kafka");
      String keyFile = args.option("--api-key-file");
      assertTrue(keyFile != null && mountedSecretKey(m, m.get(Deployment.class, name), c, keyFile), name + ": " + keyFile + " is a key of a mounted Secret");
    }
    GenericKubernetesResource scaled = m.custom("ScaledObject", "twin-jobs");
    List<Map<String, Map<String, Object>>> triggers = scaled.get("spec", "triggers");
    assertEquals(strimziBootstrap(m), triggers.get(0).get("metadata").get("bootstrapServers"));
  }

  @ParameterizedTest
  @FieldSource("dev.twinmesh.deploy.Manifests#OVERLAYS")
  void monitoringReachesKafkaAndThePostgresqlTheClusterProvides(String overlay) {
    Manifests m = Manifests.render(overlay);
    Container c = m.get(Deployment.class, "twin-monitoring").getSpec().getTemplate().getSpec().getContainers().get(0);
    TwinMeshArgs args = TwinMeshArgs.parse(c.getArgs(), env(m, c));
    assertEquals(strimziBootstrap(m), args.option("--kafka"));
    var postgres = Prerequisites.find(overlay, "Service", args.option("--pg-host")).orElseThrow(() ->
        new AssertionError("--pg-host " + args.option("--pg-host") + " is no Service in k8s/prerequisites.yaml"));
    assertTrue(postgres.ports().contains(args.intOption("--pg-port")));
    assertTrue(env(m, c).containsKey("PGPASSWORD"), "the password comes from the chart's Secret");
  }

  @ParameterizedTest
  @FieldSource("dev.twinmesh.deploy.Manifests#OVERLAYS")
  void everySettingInTheConfigMapIsReadBySomeone(String overlay) {
    Manifests m = Manifests.render(overlay);
    Set<String> read = new HashSet<>(ENV_READ_BY_RUNTIME);
    read.addAll(ragConfigEnv());
    m.containers().forEach(e -> read.addAll(TwinMeshArgs.parse(e.getValue().getArgs(), env(m, e.getValue())).envRead()));
    for (String key : m.get(ConfigMap.class, "twin-mesh-config").getData().keySet()) {
      assertTrue(read.contains(key), overlay + ": " + key + " in twin-mesh-config is read by no twin-mesh option");
    }
    m.containers().forEach(e -> e.getValue().getEnv().forEach(v ->
        assertTrue(read.contains(v.getName()), e.getValue().getName() + ": env " + v.getName() + " is read by nothing")));
  }

  @ParameterizedTest
  @FieldSource("dev.twinmesh.deploy.Manifests#OVERLAYS")
  void workersDrainWithinTheirGracePeriod(String overlay) {
    Manifests m = Manifests.render(overlay);
    Deployment d = m.get(Deployment.class, "twin-worker");
    Container c = d.getSpec().getTemplate().getSpec().getContainers().get(0);
    int preStop = Integer.parseInt(c.getLifecycle().getPreStop().getExec().getCommand().get(1));
    TwinMeshArgs args = TwinMeshArgs.parse(c.getArgs(), env(m, c));
    int maxModelLen = args.intOption("--max-model-len");
    long drain = Duration.parse(args.option("--drain-timeout")).toSeconds();
    int longestGeneration = (maxModelLen + MIN_DECODE_TOKENS_PER_SECOND - 1) / MIN_DECODE_TOKENS_PER_SECOND;
    assertTrue(drain >= longestGeneration, "--drain-timeout " + drain + " s lets the longest generation (" + longestGeneration + " s) finish");
    long grace = d.getSpec().getTemplate().getSpec().getTerminationGracePeriodSeconds();
    assertTrue(grace >= preStop + drain + CLOSE_SECONDS, "grace " + grace + " s >= preStop " + preStop
        + " s + drain " + drain + " s + " + CLOSE_SECONDS + " s to close");
    int readinessWindow = c.getReadinessProbe().getPeriodSeconds() * c.getReadinessProbe().getFailureThreshold();
    assertTrue(preStop >= readinessWindow, "preStop outlasts the readiness window, so DNS has dropped the pod");
    Probe startup = c.getStartupProbe();
    assertTrue(startup.getPeriodSeconds() * startup.getFailureThreshold() >= 300, "model loading gets 5 minutes or more");
  }

  /** The variables rag-verticle's RagConfig.fromEnv reads (the gateway passes it its environment), from its source. */
  static Set<String> ragConfigEnv() {
    Path source = DeployFiles.root().resolve("rag-verticle/src/main/java/dev/twinmesh/rag/RagConfig.java");
    String text = ImagesTest.read(source);
    String fromEnv = text.substring(text.indexOf("public static RagConfig fromEnv"));
    Set<String> names = new HashSet<>();
    Matcher m = RAG_ENV.matcher(fromEnv.substring(0, fromEnv.indexOf("\n  }\n")));
    while (m.find()) {
      names.add(m.group(1));
    }
    assertTrue(names.containsAll(Set.of("RAG_STORE", "QDRANT_URL", "RAG_DATA_DIR")), "RagConfig reads " + names);
    return names;
  }

  @ParameterizedTest
  @FieldSource("dev.twinmesh.deploy.Manifests#OVERLAYS")
  void readOnlyContainersWriteOnlyToMountedVolumes(String overlay) {
    Manifests m = Manifests.render(overlay);
    m.containers().forEach(e -> {
      Container c = e.getValue();
      String where = e.getKey().getMetadata().getName() + "/" + c.getName();
      assertTrue(Boolean.TRUE.equals(c.getSecurityContext().getReadOnlyRootFilesystem()), where + " has a read-only root");
      List<String> writable = new java.util.ArrayList<>(List.of("/tmp"));
      TwinMeshArgs args = TwinMeshArgs.parse(c.getArgs(), env(m, c));
      if (args.command().equals("gateway")) {
        writable.add(env(m, c).get("RAG_DATA_DIR"));
      } else if (args.command().equals("model random")) {
        writable.add(args.option("--out"));
      }
      for (String path : writable) {
        assertTrue(c.getVolumeMounts().stream().anyMatch(vm -> (path + "/").startsWith(vm.getMountPath() + "/")
            && !Boolean.TRUE.equals(vm.getReadOnly())), where + " writes " + path + " on a mounted volume");
      }
    });
  }

  /** What the container's environment holds: the image's ENV, then envFrom ConfigMaps, then env (secrets as placeholders). */
  static Map<String, String> env(Manifests m, Container c) {
    Map<String, String> env = new HashMap<>(Dockerfile.forImage(c.getImage()).env());
    for (EnvFromSource from : c.getEnvFrom()) {
      if (from.getConfigMapRef() != null) {
        env.putAll(m.get(ConfigMap.class, from.getConfigMapRef().getName()).getData());
      }
    }
    for (EnvVar v : c.getEnv()) {
      env.put(v.getName(), v.getValue() != null ? v.getValue() : "<from " + v.getValueFrom() + ">");
    }
    return env;
  }

  static String strimziBootstrap(Manifests m) {
    GenericKubernetesResource kafka = m.custom("Kafka").get(0);
    List<Map<String, Object>> listeners = kafka.get("spec", "kafka", "listeners");
    Map<String, Object> plain = listeners.stream().filter(l -> Boolean.FALSE.equals(l.get("tls"))).findFirst().orElseThrow();
    return kafka.getMetadata().getName() + "-kafka-bootstrap:" + plain.get("port");
  }

  private static boolean mountedSecretKey(Manifests m, Deployment d, Container c, String file) {
    for (VolumeMount vm : c.getVolumeMounts()) {
      if (file.startsWith(vm.getMountPath() + "/")) {
        var volume = d.getSpec().getTemplate().getSpec().getVolumes().stream().filter(v -> v.getName().equals(vm.getName())).findFirst().orElseThrow();
        String key = file.substring(vm.getMountPath().length() + 1);
        return volume.getSecret() != null
            && ManifestReferencesTest.secretKeys(m, volume.getSecret().getSecretName(), d.getMetadata().getName()).contains(key);
      }
    }
    return false;
  }
}
