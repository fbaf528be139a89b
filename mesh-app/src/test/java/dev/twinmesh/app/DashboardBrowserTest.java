package dev.twinmesh.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.microsoft.playwright.Browser;
import com.microsoft.playwright.BrowserType;
import com.microsoft.playwright.Locator;
import com.microsoft.playwright.Page;
import com.microsoft.playwright.Playwright;
import dev.twinmesh.worker.WorkerSettings;
import io.vertx.core.json.JsonObject;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The monitoring dashboard in a real Chromium, showing the trace of a real generation and its charts. */
class DashboardBrowserTest {
  private static final Path CHROMIUM = Path.of("/usr/bin/chromium");
  private static final List<String> CHROMIUM_FLAGS = List.of("--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
      "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run");

  @TempDir
  static Path dataDir;
  static LocalMesh mesh;

  @BeforeAll
  static void startMesh() {
    Assumptions.assumeTrue(Files.isExecutable(CHROMIUM),
        "no Chromium at /usr/bin/chromium (Debian: apt-get install chromium): the dashboard browser test is skipped");
    Path modelDir = dataDir.resolve("tiny-model");
    assertEquals(0, TwinMesh.commandLine().execute("model", "random", "--preset", "tiny", "--out", modelDir.toString(),
        "--seed", "7", "--quiet"));
    mesh = LocalMesh.start(new LocalMesh.Settings(dataDir.resolve("mesh"), modelDir, "tiny", "twin", "127.0.0.1",
        0, 0, 0, 0, 0, new WorkerSettings.Runtime("cpu", 1, 2048, 8, 64), Set.of()));
  }

  @AfterAll
  static void stopMesh() {
    if (mesh != null) {
      mesh.close();
    }
  }

  @Test
  void theDashboardShowsARealGenerationWithItsTimingsAndCharts() throws Exception {
    HttpResponse<String> response = MeshHttp.post(mesh.gatewayUrl() + "/v1/chat/completions",
        "{\"model\":\"twin\",\"temperature\":0,\"max_tokens\":12,\"ignore_eos\":true,\"author\":\"alice\","
            + "\"messages\":[{\"role\":\"user\",\"content\":\"Write about dashboards\"}]}");
    assertEquals(200, response.statusCode(), response.body());
    String traceId = response.headers().firstValue("x-twin-trace-id").orElseThrow();
    JsonObject trace = MeshHttp.awaitJson(mesh.monitorUrl() + "/api/traces/" + traceId, Duration.ofSeconds(60));

    try (Playwright playwright = Playwright.create(new Playwright.CreateOptions()
            .setEnv(Map.of("PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD", "1")));
         Browser browser = playwright.chromium().launch(new BrowserType.LaunchOptions()
             .setExecutablePath(CHROMIUM).setHeadless(true).setArgs(CHROMIUM_FLAGS))) {
      Page page = browser.newPage(new Browser.NewPageOptions().setViewportSize(1280, 900));
      page.setDefaultTimeout(20_000);
      page.navigate(mesh.monitorUrl() + "/");

      Locator row = page.locator("tr[data-trace-id='" + traceId + "']");
      row.waitFor();
      assertTrue(row.textContent().contains("alice"), row.textContent());
      assertTrue(row.textContent().contains("ok"));

      Locator requests = page.locator("svg[data-chart=rpm] path.series");
      assertTrue(Integer.parseInt(requests.getAttribute("data-points")) >= 1, "the requests chart has a point");
      Locator ttft = page.locator("svg[data-chart=ttft] path.series[data-series=p95]");
      assertTrue(Integer.parseInt(ttft.getAttribute("data-points")) >= 1, "the TTFT chart has a point");
      page.screenshot(new Page.ScreenshotOptions().setPath(Path.of("target", "dashboard-list.png")).setFullPage(true));

      // Filters: the author matches, a text absent from every trace does not.
      page.fill("input[name=author]", "alice");
      page.click("button[type=submit]");
      row.waitFor();
      page.fill("input[name=q]", "no trace says this 4a7e");
      page.click("button[type=submit]");
      page.locator("#traces tbody td.muted").waitFor();
      assertEquals(0, page.locator("tr[data-trace-id]").count());
      page.click("#reset");
      row.waitFor();

      row.locator("a").click();
      Locator answer = page.locator("#answer");
      answer.waitFor();
      assertEquals(trace.getString("answer"), answer.textContent());
      assertTrue(page.locator("#trace-body").textContent().contains("Write about dashboards"), "the messages sent are shown");
      assertTrue(page.locator("svg[data-chart=timeline] rect[data-step=decode]").count() == 1, "the decode step is drawn");
      assertTrue(page.locator("#trace-body").textContent().contains(trace.getString("prompt_template")),
          "the prompt template is named");
      page.screenshot(new Page.ScreenshotOptions().setPath(Path.of("target", "dashboard-trace.png")).setFullPage(true));
    }
  }
}
