package dev.twinmesh.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.microsoft.playwright.Browser;
import com.microsoft.playwright.BrowserContext;
import com.microsoft.playwright.BrowserType;
import com.microsoft.playwright.Page;
import com.microsoft.playwright.Playwright;
import com.microsoft.playwright.Route;
import dev.twinmesh.common.TraceRecord;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The chat page in a real Chromium, served by the gateway: a question gets an answer that grows on the
 * screen while it streams, Stop ends it and frees the worker, and model output is only ever text.
 * Needs Debian's chromium at /usr/bin/chromium (CI installs it); elsewhere the test is skipped.
 */
class ChatPageBrowserTest {
  static final Path CHROMIUM = Path.of("/usr/bin/chromium");

  static TestMesh mesh;
  static String gateway;
  static Playwright playwright;
  static Browser browser;
  BrowserContext context;
  Page page;

  @BeforeAll
  static void start() {
    boolean ci = "true".equalsIgnoreCase(System.getenv("CI"));
    if (!ci) {
      Assumptions.assumeTrue(Files.isExecutable(CHROMIUM),
          "the chat page test needs Chromium at " + CHROMIUM + " (apt-get install chromium); skipped outside CI");
    }
    mesh = TestMesh.start(1, TestMesh.runtime());
    gateway = mesh.gateway();
    playwright = Playwright.create(new Playwright.CreateOptions().setEnv(Map.of("PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD", "1")));
    browser = playwright.chromium().launch(new BrowserType.LaunchOptions()
        .setExecutablePath(CHROMIUM)
        .setHeadless(true)
        .setArgs(List.of("--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-background-networking",
            "--disable-component-update", "--disable-sync", "--no-first-run")));
  }

  @AfterAll
  static void stop() {
    if (browser != null) {
      browser.close();
    }
    if (playwright != null) {
      playwright.close();
    }
    if (mesh != null) {
      mesh.close();
    }
  }

  @BeforeEach
  void openPage() {
    context = browser.newContext();
    page = context.newPage();
  }

  @AfterEach
  void closePage() {
    context.close();
  }

  @Test
  void anAnswerGrowsWhileItStreamsAndStopFreesTheWorker() throws Exception {
    // The page sends what a user's browser sends; the test only adds ignore_eos on the way out, so the
    // random-weight model keeps writing until Stop instead of ending early on a sampled end token.
    AtomicReference<JsonObject> sent = new AtomicReference<>();
    page.route("**/v1/chat/completions", route -> {
      JsonObject body = new JsonObject(route.request().postData());
      sent.set(body.copy());
      route.resume(new Route.ResumeOptions().setPostData(body.put("ignore_eos", true).encode()));
    });
    page.navigate(gateway + "/");
    assertEquals("twin-mesh chat", page.title());
    page.fill("#question", "Tell me about retrieval");
    page.click("#send");

    List<Integer> lengths = new ArrayList<>();
    long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
    while (distinctGrowth(lengths) < 4 && System.nanoTime() < deadline) {
      Number length = (Number) page.evaluate(
          "() => { const b = document.querySelector('.message.assistant .body'); return b ? b.textContent.length : 0; }");
      lengths.add(length.intValue());
      page.waitForTimeout(40);
    }
    assertTrue(distinctGrowth(lengths) >= 4, "the answer grows on the page in several steps: " + lengths);
    assertTrue(page.isEnabled("#stop"), "still streaming, so Stop is enabled");
    assertTrue(page.isDisabled("#send"), "one question at a time");
    assertEquals(1, mesh.running(0), "the worker is generating the answer");

    page.click("#stop");
    Duration freed = mesh.awaitLoad(0, load -> load.getInteger("running") == 0, Duration.ofSeconds(3),
        "Stop cancels the generation on the worker");
    page.waitForSelector(".message.assistant .meta");
    String meta = page.textContent(".message.assistant .meta");
    assertTrue(meta.contains("stopped"), meta);
    assertTrue(page.isEnabled("#send") && page.isDisabled("#stop"), "ready for the next question");
    String traceId = page.getAttribute(".message.assistant .meta", "data-trace-id");
    assertEquals(TraceRecord.STATUS_CANCELLED, mesh.trace(traceId).status(), "freed in " + freed);

    JsonObject body = sent.get();
    assertEquals("twin", body.getString("model"));
    assertTrue(body.getBoolean("stream"));
    assertTrue(body.getBoolean("rag"));
    assertEquals(new JsonArray().add(new JsonObject().put("role", "user").put("content", "Tell me about retrieval")),
        body.getJsonArray("messages"));
    assertFalse(body.containsKey("ignore_eos"), "the page itself sends no test settings");
  }

  /** How many times the answer got longer. */
  private static int distinctGrowth(List<Integer> lengths) {
    int steps = 0;
    for (int i = 1; i < lengths.size(); i++) {
      if (lengths.get(i) > lengths.get(i - 1)) {
        steps++;
      }
    }
    return lengths.isEmpty() || lengths.get(lengths.size() - 1) == 0 ? 0 : steps;
  }

  @Test
  void markdownEscapesEveryTagAndKeepsOnlyItsOwnMarkup() {
    page.navigate(gateway + "/");
    String hostile = "<script>window.pwned = 1</script> <img src=x onerror=\"window.pwned = 2\"> "
        + "<a href=\"javascript:window.pwned=3\">x</a> [link](javascript:window.pwned=4) \"quotes\" & 'apostrophes'";
    String html = (String) page.evaluate("md => window.TwinMarkdown.render(md)", hostile);
    assertFalse(html.contains("<script") || html.contains("<img") || html.contains("<a "), html);
    assertTrue(html.contains("&lt;script&gt;") && html.contains("&lt;img"), html);

    Object rendered = page.evaluate("md => { const d = document.createElement('div');"
        + " d.innerHTML = window.TwinMarkdown.render(md); document.body.appendChild(d);"
        + " return {text: d.textContent, elements: d.querySelectorAll('script, img, a, iframe').length}; }", hostile);
    @SuppressWarnings("unchecked")
    Map<String, Object> result = (Map<String, Object>) rendered;
    assertEquals(0, ((Number) result.get("elements")).intValue(), "no element came from the text");
    assertTrue(result.get("text").toString().contains("<img src=x onerror=\"window.pwned = 2\">"),
        "the tags read as text: " + result.get("text"));
    page.waitForTimeout(100);
    assertNull(page.evaluate("() => window.pwned"), "nothing ran");

    String markdown = (String) page.evaluate("md => window.TwinMarkdown.render(md)",
        "# Title\n**bold** and *it* and `x<y`\n- one\n- two\n[docs](https://example.com/a?b=1)\n```java\nint a = b < c;\n```");
    assertTrue(markdown.contains("<h3>Title</h3>"), markdown);
    assertTrue(markdown.contains("<strong>bold</strong>") && markdown.contains("<em>it</em>"), markdown);
    assertTrue(markdown.contains("<code>x&lt;y</code>"), markdown);
    assertTrue(markdown.contains("<ul><li>one</li><li>two</li></ul>"), markdown);
    assertTrue(markdown.contains("<a href=\"https://example.com/a?b=1\" rel=\"noopener noreferrer\" target=\"_blank\">docs</a>"),
        markdown);
    assertTrue(markdown.contains("<pre><code>int a = b &lt; c;\n</code></pre>"), markdown);
  }

  @Test
  void hostileModelOutputInTheStreamShowsAsText() {
    // A scripted answer stands in for the model: a random-weight model cannot be made to write HTML.
    String[] deltas = {"Here: ", "<img src=x onerror=\"window.pwned=1\">", " and ", "<script>window.pwned=2</script>", " **done**"};
    StringBuilder sse = new StringBuilder("data: {\"choices\":[{\"index\":0,\"delta\":{\"role\":\"assistant\",\"content\":\"\"}}]}\n\n");
    for (String delta : deltas) {
      sse.append("data: ").append(new JsonObject().put("choices", new JsonArray().add(new JsonObject()
          .put("index", 0).put("delta", new JsonObject().put("content", delta)))).encode()).append("\n\n");
    }
    sse.append("data: {\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"stop\"}]}\n\ndata: [DONE]\n\n");
    page.route("**/v1/chat/completions", route -> route.fulfill(new Route.FulfillOptions()
        .setStatus(200).setContentType("text/event-stream").setHeaders(Map.of("x-twin-trace-id", "t1")).setBody(sse.toString())));
    page.navigate(gateway + "/");
    page.fill("#question", "Say something hostile");
    page.click("#send");
    page.waitForSelector(".message.assistant .meta");

    String text = page.textContent(".message.assistant .body");
    assertEquals("Here: <img src=x onerror=\"window.pwned=1\"> and <script>window.pwned=2</script> done", text);
    assertEquals(0, ((Number) page.evaluate("() => document.querySelectorAll('#log img, #log script').length")).intValue());
    assertEquals(1, ((Number) page.evaluate("() => document.querySelectorAll('#log strong').length")).intValue(),
        "Markdown still renders");
    assertNull(page.evaluate("() => window.pwned"));
    assertTrue(page.textContent(".message.assistant .meta").contains("stop"));
  }

  @Test
  void aGatewayErrorIsShownToTheUser() {
    page.navigate(gateway + "/");
    page.evaluate("() => { window.TWIN_MODEL = 'no-such-model'; }");
    page.fill("#question", "hi");
    page.click("#send");
    page.waitForSelector(".message.error");
    String shown = page.textContent(".message.error");
    assertTrue(shown.contains("404") && shown.contains("no-such-model"), shown);
    assertTrue(page.isEnabled("#send"));
  }
}
