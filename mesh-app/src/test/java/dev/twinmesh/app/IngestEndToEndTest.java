package dev.twinmesh.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.twinmesh.rag.RagServices;
import dev.twinmesh.rag.store.LuceneVectorStore;
import dev.twinmesh.worker.WorkerSettings;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * Ingestion from outside the JVM: {@code POST /v1/ingest} on the running mesh (API key, 400s, 413), a chat that
 * retrieves what was sent, and {@code twin-mesh ingest} over HTTP and straight into an idle embedded store.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class IngestEndToEndTest {
  private static final String KEY = "ingest-test-key";
  private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
  private static final String ARTICLE = "{\"author\":\"Grace Hopper\",\"type\":\"article\",\"documents\":[{"
      + "\"source\":\"https://grace.example/nanosecond\",\"format\":\"markdown\",\"content\":\"# A nanosecond of wire\\n\\n"
      + "A nanosecond is the length of wire light travels in a billionth of a second: about thirty centimetres, "
      + "which I hand out to admirals who ask why satellite messages take so long.\"}]}";

  @TempDir
  static Path dataDir;
  static LocalMesh mesh;
  static Path writing;

  @BeforeAll
  static void startMesh() throws Exception {
    Path modelDir = dataDir.resolve("tiny-model");
    assertEquals(0, TwinMesh.commandLine().execute("model", "random", "--preset", "tiny", "--out", modelDir.toString(),
        "--seed", "7", "--quiet"));
    mesh = LocalMesh.start(new LocalMesh.Settings(dataDir.resolve("mesh"), modelDir, "tiny", "twin", "127.0.0.1",
        0, 0, 0, 0, 0, new WorkerSettings.Runtime("cpu", 1, 2048, 8, 64), Set.of(KEY)));
    writing = Files.createDirectories(dataDir.resolve("writing"));
    Files.writeString(writing.resolve("compilers.md"), "# Compilers\n\nThe first compiler turned *mathematical* "
        + "notation into machine code, so that programs could be written in words.");
    Files.writeString(writing.resolve("cobol.html"), "<html><body><h1>COBOL</h1><p>Business data processing "
        + "deserved a language in English words.</p><script>x()</script></body></html>");
    Files.writeString(writing.resolve("bug.txt"), "The first actual bug was a moth taped into the log book.");
    Files.writeString(writing.resolve("talks.json"), "[{\"url\":\"https://grace.example/talks/1\",\"content\":"
        + "\"Humans are allergic to change.\"},{\"title\":\"untitled\"}]");
    Files.write(writing.resolve("slides.pdf"), new byte[] {37, 80, 68, 70});
  }

  @AfterAll
  static void stopMesh() {
    if (mesh != null) {
      mesh.close();
    }
  }

  private static HttpResponse<String> ingest(String body, String key) throws Exception {
    HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(mesh.gatewayUrl() + "/v1/ingest"))
        .timeout(Duration.ofMinutes(2)).header("content-type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofString(body, StandardCharsets.UTF_8));
    if (key != null) {
      request.header("authorization", "Bearer " + key);
    }
    return HTTP.send(request.build(), HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
  }

  private static JsonObject error(HttpResponse<String> response) {
    return new JsonObject(response.body()).getJsonObject("error");
  }

  /** Runs {@code twin-mesh ...} and returns exit code, stdout and stderr. */
  private static String[] run(String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    CommandLine cli = TwinMesh.commandLine();
    cli.setOut(new PrintWriter(out, true));
    cli.setErr(new PrintWriter(err, true));
    int exit = cli.execute(args);
    return new String[] {String.valueOf(exit), out.toString(), err.toString()};
  }

  @Test
  @Order(1)
  void ingestionNeedsTheApiKey() throws Exception {
    HttpResponse<String> none = ingest(ARTICLE, null);
    assertEquals(401, none.statusCode());
    assertEquals("invalid_api_key", error(none).getString("code"));
    assertEquals(401, ingest(ARTICLE, "wrong-key").statusCode());
  }

  @Test
  @Order(2)
  void badBodiesGetA400NamingTheFieldAndAnOversizedOneA413() throws Exception {
    HttpResponse<String> noAuthor = ingest("{\"type\":\"post\",\"documents\":[{\"source\":\"a\",\"content\":\"x\"}]}", KEY);
    assertEquals(400, noAuthor.statusCode());
    assertEquals("author", error(noAuthor).getString("param"));
    assertEquals("invalid_request_error", error(noAuthor).getString("type"));
    HttpResponse<String> badType = ingest(ARTICLE.replace("\"article\"", "\"tweet\""), KEY);
    assertEquals("type", error(badType).getString("param"));
    HttpResponse<String> badFormat = ingest(ARTICLE.replace("\"markdown\"", "\"pdf\""), KEY);
    assertEquals(400, badFormat.statusCode());
    assertEquals("documents[0].format", error(badFormat).getString("param"));
    assertEquals(400, ingest("{\"author\":", KEY).statusCode());

    HttpResponse<String> tooLarge = ingest(ARTICLE.replace("A nanosecond is", "x".repeat(1_100_000)), KEY);
    assertEquals(413, tooLarge.statusCode());
    assertEquals("request_too_large", error(tooLarge).getString("code"));
    assertEquals(0, mesh.rag().store().count("articles"), "nothing was stored by refused requests");
  }

  @Test
  @Order(3)
  void writingSentOverHttpIsRetrievedIntoTheNextAnswer() throws Exception {
    HttpResponse<String> response = ingest(ARTICLE, KEY);
    assertEquals(200, response.statusCode(), response.body());
    JsonObject summary = new JsonObject(response.body());
    assertEquals("grace-hopper", summary.getString("author_id"));
    assertEquals(1, summary.getInteger("documents"));
    assertEquals(1, summary.getInteger("chunks"));
    assertEquals(1, summary.getJsonObject("per_collection").getInteger("articles"));
    assertEquals(200, ingest(ARTICLE, KEY).statusCode());
    assertEquals(1, mesh.rag().store().count("articles"), "sending it again stores nothing new");

    HttpRequest chat = HttpRequest.newBuilder(URI.create(mesh.gatewayUrl() + "/v1/chat/completions"))
        .timeout(Duration.ofMinutes(2)).header("content-type", "application/json").header("authorization", "Bearer " + KEY)
        .POST(HttpRequest.BodyPublishers.ofString("{\"model\":\"twin\",\"temperature\":0,\"max_tokens\":8,"
            + "\"author\":\"Grace Hopper\",\"messages\":[{\"role\":\"user\",\"content\":\"How long is a nanosecond of wire?\"}]}"))
        .build();
    HttpResponse<String> answer = HTTP.send(chat, HttpResponse.BodyHandlers.ofString());
    assertEquals(200, answer.statusCode(), answer.body());
    assertTrue(answer.headers().firstValue("x-twin-sources").orElse("").contains("nanosecond"));
    String traceId = answer.headers().firstValue("x-twin-trace-id").orElseThrow();
    JsonObject trace = MeshHttp.awaitJson(mesh.monitorUrl() + "/api/traces/" + traceId, Duration.ofSeconds(60));
    JsonArray chunks = trace.getJsonObject("retrieval").getJsonArray("chunks");
    assertFalse(chunks.isEmpty(), "the trace shows the retrieved chunk");
    assertEquals("https://grace.example/nanosecond", chunks.getJsonObject(0).getString("source"));
    JsonArray messages = trace.getJsonArray("messages");
    assertTrue(messages.getJsonObject(messages.size() - 1).getString("content").contains("thirty centimetres"));
  }

  @Test
  @Order(4)
  void theIngestCommandSendsAFolderToTheRunningMeshOnce() {
    String[] first = run("ingest", writing.toString(), "--author", "Grace Hopper", "--url", mesh.gatewayUrl(),
        "--api-key", KEY);
    assertEquals("0", first[0], first[2]);
    assertTrue(first[1].contains("ingested 4 documents from 4 files into 4 chunks (posts 4)"), first[1]);
    assertTrue(first[1].contains("unsupported file type .pdf (1)"), first[1]);
    assertTrue(first[1].contains("no content, text or body field (1)"), first[1]);
    assertTrue(first[2].contains("4/4 documents"), "a progress bar: " + first[2]);
    assertEquals(4, mesh.rag().store().count("posts"));

    String[] again = run("ingest", writing.toString(), "--author", "grace-hopper", "--url", mesh.gatewayUrl(),
        "--api-key", KEY);
    assertEquals("0", again[0], again[2]);
    assertEquals(4, mesh.rag().store().count("posts"), "ingesting twice changes nothing");

    String[] refused = run("ingest", writing.toString(), "--author", "Grace Hopper", "--url", mesh.gatewayUrl());
    assertEquals("1", refused[0]);
    assertTrue(refused[2].contains("refused the API key"), refused[2]);
  }

  @Test
  @Order(5)
  void withoutUrlTheCommandRefusesTheStoreTheMeshHolds() {
    String[] locked = run("ingest", writing.toString(), "--author", "Grace Hopper",
        "--data-dir", dataDir.resolve("mesh").toString());
    assertEquals("1", locked[0], locked[1]);
    assertTrue(locked[2].contains("twin-mesh up is running: use --url http://localhost:8080"), locked[2]);
  }

  @Test
  @Order(6)
  void withoutUrlTheCommandWritesAnIdleStoreOnce() throws Exception {
    Path idle = dataDir.resolve("idle");
    Path repo = Files.createDirectories(dataDir.resolve("repo").resolve(".git"));
    repo = repo.getParent();
    Files.writeString(repo.resolve("Main.java"), "class Main {\n  public static void main(String[] a) {}\n}\n");
    Files.writeString(repo.resolve("package-lock.json"), "{}");
    String[] posts = run("ingest", writing.toString(), "--author", "Grace Hopper", "--data-dir", idle.toString());
    assertEquals("0", posts[0], posts[2]);
    assertTrue(posts[1].contains("ingested 4 documents from 4 files into 4 chunks (posts 4)"), posts[1]);
    String[] code = run("ingest", repo.toString(), "--author", "Grace Hopper", "--link", "https://git.example/grace/main",
        "--data-dir", idle.toString());
    assertEquals("0", code[0], code[2]);
    assertTrue(code[1].contains("into 1 chunks (repositories 1)"), code[1]);
    assertTrue(code[1].contains("lock file (1): https://git.example/grace/main/package-lock.json"), code[1]);
    String[] again = run("ingest", writing.toString(), "--author", "grace-hopper", "--data-dir", idle.toString());
    assertEquals("0", again[0], again[2]);
    try (LuceneVectorStore store = new LuceneVectorStore(RagServices.vectorsDir(idle.resolve("rag")))) {
      assertEquals(4, store.count("posts"), "ingesting twice changes nothing");
      assertEquals(1, store.count("repositories"));
    }
  }
}
