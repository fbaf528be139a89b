package dev.twinmesh.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.twinmesh.rag.Author;
import dev.twinmesh.rag.ingest.DocumentType;
import dev.twinmesh.rag.ingest.IngestProgress;
import dev.twinmesh.rag.ingest.SourceDocument;
import dev.twinmesh.rag.ingest.TextFormat;
import dev.twinmesh.worker.WorkerSettings;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;

/**
 * The foundation's promise, end to end on the tiny preset: a checkpoint written by {@code twin-mesh model
 * random}, the whole mesh in one JVM (real KRaft broker, real PostgreSQL, the real Llama forward pass on
 * DJL), a streamed chat answer through the gateway, and its trace stored by the monitoring consumer.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class UpEndToEndTest {
  private static final String CHAT = "{\"model\":\"twin\",\"stream\":%s,\"temperature\":0,\"max_tokens\":24,"
      + "\"ignore_eos\":true,\"stream_options\":{\"include_usage\":true},"
      + "\"messages\":[{\"role\":\"user\",\"content\":\"Write about RAG\"}]}";

  @TempDir
  static Path dataDir;
  static Path modelDir;
  static LocalMesh mesh;
  static String streamedText;
  static String traceId;

  @BeforeAll
  static void startMesh() {
    modelDir = dataDir.resolve("tiny-model");
    int exit = TwinMesh.commandLine().execute("model", "random", "--preset", "tiny", "--out", modelDir.toString(),
        "--seed", "7", "--quiet");
    assertEquals(0, exit, "twin-mesh model random failed");
    mesh = LocalMesh.start(settings());
  }

  static LocalMesh.Settings settings() {
    return new LocalMesh.Settings(dataDir.resolve("mesh"), modelDir, "tiny", "twin", "127.0.0.1", 0, 0, 0, 0, 0,
        new WorkerSettings.Runtime("cpu", 1, 2048, 8, 64), Set.of());
  }

  @AfterAll
  static void stopMesh() {
    if (mesh != null) {
      mesh.close();
    }
  }

  @Test
  @Order(1)
  void aChatAnswerStreamsAsOpenAiServerSentEvents() throws Exception {
    HttpResponse<String> response = MeshHttp.post(mesh.gatewayUrl() + "/v1/chat/completions", CHAT.formatted(true));
    assertEquals(200, response.statusCode(), response.body());
    assertTrue(response.headers().firstValue("content-type").orElse("").startsWith("text/event-stream"));
    traceId = response.headers().firstValue("x-twin-trace-id").orElseThrow();

    String raw = response.body();
    assertTrue(raw.endsWith("data: [DONE]\n\n"), "the stream ends with [DONE]");
    String[] events = raw.substring(0, raw.length() - 2).split("\n\n", -1);
    List<JsonObject> chunks = new ArrayList<>();
    for (String event : events) {
      assertTrue(event.startsWith("data: "), "every event is one data line: " + event);
      assertFalse(event.contains("\n"), "one line per event: " + event);
      if (!event.equals("data: [DONE]")) {
        chunks.add(new JsonObject(event.substring(6)));
      }
    }
    assertEquals("data: [DONE]", events[events.length - 1]);
    assertEquals("assistant", chunks.get(0).getJsonArray("choices").getJsonObject(0).getJsonObject("delta").getString("role"));

    StringBuilder text = new StringBuilder();
    String finishReason = null;
    JsonObject usage = null;
    for (JsonObject chunk : chunks) {
      assertEquals("chat.completion.chunk", chunk.getString("object"));
      assertEquals("twin", chunk.getString("model"));
      assertEquals(chunks.get(0).getString("id"), chunk.getString("id"), "one id per stream");
      JsonArray choices = chunk.getJsonArray("choices");
      if (choices.isEmpty()) {
        usage = chunk.getJsonObject("usage");
        continue;
      }
      JsonObject choice = choices.getJsonObject(0);
      text.append(choice.getJsonObject("delta").getString("content", ""));
      if (choice.getString("finish_reason") != null) {
        finishReason = choice.getString("finish_reason");
      }
    }
    assertEquals("length", finishReason);
    assertNotNull(usage, "include_usage asks for a usage chunk");
    assertEquals(24, usage.getInteger("completion_tokens"));
    assertTrue(usage.getInteger("prompt_tokens") > 5);
    assertEquals(usage.getInteger("prompt_tokens") + 24, usage.getInteger("total_tokens"));
    assertTrue(chunks.size() >= 4, "the answer arrives in several chunks, not one");
    assertFalse(text.toString().contains("\uFFFD"), "no half characters in the stream: " + text);
    assertFalse(text.isEmpty(), "24 greedy tokens decode to some text");
    streamedText = text.toString();
  }

  @Test
  @Order(2)
  void theSameGreedyRequestWithoutStreamingGivesTheSameText() throws Exception {
    HttpResponse<String> response = MeshHttp.post(mesh.gatewayUrl() + "/v1/chat/completions", CHAT.formatted(false));
    assertEquals(200, response.statusCode(), response.body());
    JsonObject body = new JsonObject(response.body());
    assertEquals("chat.completion", body.getString("object"));
    JsonObject choice = body.getJsonArray("choices").getJsonObject(0);
    assertEquals(streamedText, choice.getJsonObject("message").getString("content"));
    assertEquals("length", choice.getString("finish_reason"));
    assertEquals(24, body.getJsonObject("usage").getInteger("completion_tokens"));
  }

  @Test
  @Order(3)
  void theTraceIsStoredWithPromptAnswerAndTokenCounts() throws Exception {
    JsonObject trace = MeshHttp.awaitJson(mesh.monitorUrl() + "/api/traces/" + traceId, Duration.ofSeconds(60));
    assertEquals(traceId, trace.getString("trace_id"));
    assertEquals("ok", trace.getString("status"));
    assertEquals(streamedText, trace.getString("answer"));
    assertEquals("length", trace.getString("finish_reason"));
    JsonArray messages = trace.getJsonArray("messages");
    assertEquals("### Instruction:\nWrite about RAG", messages.getJsonObject(messages.size() - 1).getString("content"));
    JsonObject tokens = trace.getJsonObject("tokens");
    assertEquals(24, tokens.getInteger("answer"));
    assertTrue(tokens.getInteger("prompt") > 5);
    assertNotNull(trace.getJsonObject("latencies").getLong("ttft_ms"));
    assertNotNull(trace.getString("worker_id"));

    JsonObject list = MeshHttp.awaitJson(mesh.monitorUrl() + "/api/traces", Duration.ofSeconds(10));
    assertTrue(list.encode().contains(traceId), "the trace list shows it");
  }

  @Test
  @Order(4)
  void modelsSayTheWeightsAreRandom() throws Exception {
    HttpResponse<String> response = MeshHttp.get(mesh.gatewayUrl() + "/v1/models");
    assertEquals(200, response.statusCode());
    JsonObject model = new JsonObject(response.body()).getJsonArray("data").getJsonObject(0);
    assertEquals("twin", model.getString("id"));
    assertTrue(model.getJsonObject("twin_mesh").getBoolean("random_weights"));
    assertTrue(model.getJsonObject("twin_mesh").getString("note").contains("--model"));
  }

  @Test
  @Order(5)
  void badRequestsGetOpenAiErrors() throws Exception {
    HttpResponse<String> unknownModel = MeshHttp.post(mesh.gatewayUrl() + "/v1/chat/completions",
        CHAT.formatted(true).replace("\"twin\"", "\"gpt-9\""));
    assertEquals(404, unknownModel.statusCode());
    assertEquals("model_not_found", new JsonObject(unknownModel.body()).getJsonObject("error").getString("code"));

    HttpResponse<String> malformed = MeshHttp.post(mesh.gatewayUrl() + "/v1/chat/completions", "{\"model\":");
    assertEquals(400, malformed.statusCode());
    assertEquals("invalid_request_error", new JsonObject(malformed.body()).getJsonObject("error").getString("type"));

    HttpResponse<String> tooLong = MeshHttp.post(mesh.gatewayUrl() + "/v1/chat/completions",
        CHAT.formatted(true).replace("\"max_tokens\":24", "\"max_tokens\":5000"));
    assertEquals(422, tooLong.statusCode(), tooLong.body());
    assertEquals("context_length_exceeded", new JsonObject(tooLong.body()).getJsonObject("error").getString("code"));
  }

  @Test
  @Order(6)
  void anAuthorsOwnWritingIsRetrievedIntoThePromptAndTheTrace() throws Exception {
    Author ada = new Author("ada", "Ada Quill");
    mesh.rag().ingestor().ingestDocuments(List.of(new SourceDocument(ada, DocumentType.ARTICLES, "articles/rag.md",
        "# Retrieval-augmented generation\n\nRetrieval-augmented generation grounds a language model in documents"
            + " fetched for each question: the retriever finds the closest chunks and the prompt carries them.",
        TextFormat.MARKDOWN)), IngestProgress.none());
    HttpResponse<String> response = MeshHttp.post(mesh.gatewayUrl() + "/v1/chat/completions",
        CHAT.formatted(false).replace("\"messages\"", "\"author\":\"ada\",\"messages\"")
            .replace("Write about RAG", "What is retrieval-augmented generation?"));
    assertEquals(200, response.statusCode(), response.body());
    assertTrue(response.headers().firstValue("x-twin-sources").orElse("").contains("rag.md"),
        "the chat page's sources header names the retrieved article");
    String id = response.headers().firstValue("x-twin-trace-id").orElseThrow();
    JsonObject trace = MeshHttp.awaitJson(mesh.monitorUrl() + "/api/traces/" + id, Duration.ofSeconds(60));
    assertEquals("instruction-with-context", trace.getString("prompt_template"));
    JsonArray chunks = trace.getJsonObject("retrieval").getJsonArray("chunks");
    assertFalse(chunks.isEmpty(), "retrieved chunks are in the trace");
    assertTrue(chunks.getJsonObject(0).getDouble("score") > 0);
    JsonArray messages = trace.getJsonArray("messages");
    assertEquals("system", messages.getJsonObject(0).getString("role"));
    assertTrue(messages.getJsonObject(messages.size() - 1).getString("content").contains("### Context:\n"));
    assertTrue(trace.getJsonObject("tokens").getInteger("context") > 0);
  }

  @Test
  @Order(7)
  void aSecondStartReusesTheDataDirectory() throws Exception {
    mesh.close();
    mesh = null;
    mesh = LocalMesh.start(settings());
    JsonObject trace = MeshHttp.awaitJson(mesh.monitorUrl() + "/api/traces/" + traceId, Duration.ofSeconds(30));
    assertEquals(streamedText, trace.getString("answer"), "PostgreSQL kept the first run's trace");
    assertTrue(Files.isDirectory(dataDir.resolve("mesh").resolve("kafka")));
  }
}
