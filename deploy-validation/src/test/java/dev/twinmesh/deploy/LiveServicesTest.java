package dev.twinmesh.deploy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.twinmesh.app.LocalMesh;
import dev.twinmesh.app.TwinMeshCli;
import dev.twinmesh.worker.WorkerSettings;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.Probe;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The deployment files against running services: the whole mesh in this JVM (tiny random checkpoint,
 * embedded Kafka and PostgreSQL, the same verticles the images run). Probes and health checks must
 * answer 200 on the real routes; the metric names the autoscalers and the dashboard use must be in the
 * real /metrics.
 */
class LiveServicesTest {
  private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
  private static final Pattern HEALTHCHECK_URL = Pattern.compile("http://127\\.0\\.0\\.1:(\\d+)(/\\S*)");

  @TempDir
  static Path dataDir;
  static LocalMesh mesh;

  @BeforeAll
  static void startMesh() {
    Path model = dataDir.resolve("tiny");
    assertEquals(0, TwinMeshCli.commandLine().execute("model", "random", "--preset", "tiny", "--out", model.toString(), "--quiet"));
    mesh = LocalMesh.start(new LocalMesh.Settings(dataDir.resolve("mesh"), model, "tiny", "twin", "127.0.0.1", 0, 0, 0, 0, 0,
        new WorkerSettings.Runtime("cpu", 1, 256, 4, 16, 256, 16L << 20, 16), Set.of()));
  }

  @AfterAll
  static void stopMesh() {
    if (mesh != null) {
      mesh.close();
    }
  }

  /** The running service a twin-mesh subcommand starts. */
  static String urlOf(String command) {
    return switch (command) {
      case "gateway" -> mesh.gatewayUrl();
      case "worker" -> mesh.workerUrl();
      case "monitor" -> mesh.monitorUrl();
      default -> throw new IllegalArgumentException("no live service for twin-mesh " + command);
    };
  }

  @Test
  void everyProbeInEveryOverlayAnswersOnTheRealService() throws Exception {
    for (String overlay : Manifests.OVERLAYS) {
      Manifests m = Manifests.render(overlay);
      for (Deployment d : m.all(Deployment.class)) {
        Container c = d.getSpec().getTemplate().getSpec().getContainers().get(0);
        String command = TwinMeshArgs.parse(c.getArgs(), ContainerCommandsTest.env(m, c)).command();
        for (Probe probe : new Probe[] {c.getStartupProbe(), c.getReadinessProbe(), c.getLivenessProbe()}) {
          if (probe != null) {
            String path = probe.getHttpGet().getPath();
            assertEquals(200, get(urlOf(command) + path).statusCode(), overlay + ": " + d.getMetadata().getName() + " probes " + path);
          }
        }
      }
    }
  }

  @Test
  void everyImageHealthCheckAnswersOnItsOwnPort() throws Exception {
    for (String image : List.of("twin-mesh/business", "twin-mesh/monitoring", "twin-mesh/worker-cpu", "twin-mesh/worker-cuda")) {
      Dockerfile f = Dockerfile.forImage(image);
      Matcher url = HEALTHCHECK_URL.matcher(f.healthcheck());
      assertTrue(url.find(), image + ": HEALTHCHECK calls http://127.0.0.1:PORT/PATH");
      String command = TwinMeshArgs.parse(f.cmd(), f.env()).command();
      int port = TwinMeshArgs.parse(f.cmd(), f.env()).intOption("--port");
      assertEquals(port, Integer.parseInt(url.group(1)), image + ": the health check calls the port the command listens on");
      assertEquals(List.of(port), f.exposed(), image + " EXPOSEs that port");
      assertEquals(200, get(urlOf(command) + url.group(2)).statusCode(), image + ": " + url.group(2));
    }
  }

  @Test
  void workerInfoTheReadmeShowsIsServed() throws Exception {
    HttpResponse<String> info = get(mesh.workerUrl() + "/info");
    assertEquals(200, info.statusCode());
    JsonNode load = Kustomize.YAML.readTree(info.body()).path("load");
    assertTrue(load.has("waiting") && load.has("running") && load.has("kv_cache_usage"), info.body());
  }

  @Test
  void autoscalingAndDashboardSeriesAreInALiveWorkersMetrics() throws Exception {
    Set<String> exported = scrape(mesh.workerUrl(), "worker");
    List<String> missing = new ArrayList<>();
    for (String series : AdapterRules.seriesQueried()) {
      if (series.startsWith("vllm:") && !PrometheusText.exposes(exported, series)) {
        missing.add("adapter rule series " + series);
      }
    }
    for (String series : MetricRulesTest.dashboardSeries("vllm:")) {
      if (!PrometheusText.exposes(exported, series)) {
        missing.add("dashboard series " + series);
      }
    }
    assertEquals(List.of(), missing, "the worker's /metrics exports " + exported);
  }

  @Test
  void gatewaySeriesAreInALiveGatewaysMetrics() throws Exception {
    Set<String> exported = scrape(mesh.gatewayUrl(), "gateway");
    List<String> wanted = new ArrayList<>(AdapterRules.seriesQueried().stream().filter(s -> s.startsWith("twin_gateway_")).toList());
    wanted.addAll(MetricRulesTest.dashboardSeries("twin_gateway_"));
    for (String series : wanted) {
      assertTrue(PrometheusText.exposes(exported, series), series + " not in the gateway's /metrics: " + exported);
    }
  }

  /**
   * The metric families a live service exports. The one thing assumed rather than asserted: that the
   * service has a /metrics endpoint at all (being added to the services as this is written).
   */
  private static Set<String> scrape(String baseUrl, String service) throws Exception {
    HttpResponse<String> response = get(baseUrl + "/metrics");
    Assumptions.assumeTrue(response.statusCode() != 404, "ASSUMPTION: the " + service + " serves no /metrics yet (404), so the"
        + " metric names in k8s/autoscaling and the dashboard could not be checked against it");
    assertEquals(200, response.statusCode(), response.body());
    Set<String> families = PrometheusText.families(response.body());
    assertNotNull(families);
    return families;
  }

  private static HttpResponse<String> get(String url) throws IOException, InterruptedException {
    return HTTP.send(HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(10)).GET().build(),
        HttpResponse.BodyHandlers.ofString());
  }

}
