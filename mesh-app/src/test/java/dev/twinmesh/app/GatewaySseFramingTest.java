package dev.twinmesh.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.twinmesh.gateway.GatewayConfig;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The gateway's Server-Sent Events, byte by byte as a client receives them: the headers that keep
 * proxies from buffering, {@code data: <json>\n\n} events and nothing else, the role first, the usage
 * chunk only when asked for, {@code data: [DONE]\n\n} last, and events that leave while the answer is
 * still being generated.
 */
class GatewaySseFramingTest {
  private static final String CHAT = "{\"model\":\"twin\",\"stream\":true,\"temperature\":0,\"max_tokens\":%d,"
      + "\"ignore_eos\":true%s,\"messages\":[{\"role\":\"user\",\"content\":\"Write about RAG\"}]}";
  private static final String USAGE = ",\"stream_options\":{\"include_usage\":true}";
  /** One event: a data line holding one JSON value or [DONE], then a blank line. No comments, no other fields. */
  private static final Pattern EVENTS = Pattern.compile("(data: [^\\n]+\\n\\n)+");

  static TestMesh mesh;
  /** Keep-alives only after a minute of silence, so these streams hold data events and nothing else. */
  static String gateway;
  /** Keep-alives after 100 ms of silence, in front of a worker that pauses before its first token. */
  static String chatty;

  @BeforeAll
  static void start() {
    mesh = TestMesh.start(1, TestMesh.runtime());
    gateway = mesh.gateway(new GatewayConfig.Limits(64, 64, Duration.ofSeconds(2), 3, Duration.ofMinutes(1)), Set.of(),
        GatewayConfig.DEFAULT_MAX_BODY_BYTES);
    HttpServer slowWorker = TestMesh.await(mesh.vertx().createHttpServer().requestHandler(req -> {
      if (req.path().equals("/health")) {
        req.response().end();
        return;
      }
      HttpServerResponse response = req.response().setChunked(true).putHeader("content-type", "text/event-stream");
      response.write("data: {\"choices\":[{\"index\":0,\"delta\":{\"role\":\"assistant\",\"content\":\"\"}}]}\n\n");
      mesh.vertx().setTimer(600, t -> response.end("data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"late\"},"
          + "\"finish_reason\":\"stop\"}]}\n\ndata: [DONE]\n\n"));
    }).listen(0, "127.0.0.1"));
    chatty = mesh.gateway(List.of(URI.create("http://127.0.0.1:" + slowWorker.actualPort())),
        new GatewayConfig.Limits(64, 64, Duration.ofMinutes(5), 3, Duration.ofMillis(100)), Set.of(), 1 << 20);
  }

  @AfterAll
  static void stop() {
    if (mesh != null) {
      mesh.close();
    }
  }

  /** The whole stream of one request: its head and every body byte. */
  private static RawSse stream(String path, String body) throws Exception {
    return stream(path, body, gateway);
  }

  private static RawSse stream(String path, String body, String through) throws Exception {
    try (RawSse response = RawSse.post(through + path, body)) {
      response.readAll();
      return response;
    }
  }

  @Test
  void headersSayEventStreamUncachedUnbuffered() throws Exception {
    RawSse response = stream("/v1/chat/completions", CHAT.formatted(8, ""));
    assertEquals(200, response.status);
    assertEquals("text/event-stream; charset=utf-8", response.headers.get("content-type"));
    assertEquals("no-cache", response.headers.get("cache-control"));
    assertEquals("no", response.headers.get("x-accel-buffering"));
    assertEquals("chunked", response.headers.get("transfer-encoding"), "no content-length: the body grows");
    assertNull(response.headers.get("content-length"));
    assertTrue(response.headers.get("x-twin-trace-id").matches("[0-9a-f]{32}"), response.headers.toString());
  }

  @Test
  void chatEventsAreDataLinesWithTheRoleFirstAndDoneLast() throws Exception {
    String body = stream("/v1/chat/completions", CHAT.formatted(12, "")).body.toString();
    assertTrue(EVENTS.matcher(body).matches(), "only data events, each ended by a blank line: " + body);
    assertTrue(body.endsWith("\n\ndata: [DONE]\n\n"), "[DONE] is the last event");
    assertEquals(body.indexOf("data: [DONE]"), body.lastIndexOf("data: [DONE]"), "[DONE] comes once");

    List<JsonObject> chunks = chunks(body);
    JsonObject first = chunks.get(0).getJsonArray("choices").getJsonObject(0);
    assertEquals(new JsonObject().put("role", "assistant").put("content", ""), first.getJsonObject("delta"),
        "the first chunk carries the role and no text");
    assertNull(first.getString("finish_reason"));
    int finishes = 0;
    for (int i = 0; i < chunks.size(); i++) {
      JsonObject chunk = chunks.get(i);
      assertEquals("chat.completion.chunk", chunk.getString("object"));
      assertEquals("twin", chunk.getString("model"));
      assertEquals(chunks.get(0).getString("id"), chunk.getString("id"));
      assertEquals(chunks.get(0).getLong("created"), chunk.getLong("created"));
      assertFalse(chunk.containsKey("usage"), "no usage unless stream_options.include_usage asks for it");
      JsonArray choices = chunk.getJsonArray("choices");
      assertEquals(1, choices.size(), "every chunk has its one choice");
      assertEquals(0, choices.getJsonObject(0).getInteger("index"));
      if (choices.getJsonObject(0).getString("finish_reason") != null) {
        finishes++;
        assertEquals(chunks.size() - 1, i, "the finish reason is on the last chunk");
        assertEquals("length", choices.getJsonObject(0).getString("finish_reason"));
      }
    }
    assertEquals(1, finishes);
    assertEquals("chatcmpl-", chunks.get(0).getString("id").substring(0, 9));
  }

  @Test
  void theUsageChunkComesOnlyWhenAskedForWithNoChoicesRightBeforeDone() throws Exception {
    String body = stream("/v1/chat/completions", CHAT.formatted(12, USAGE)).body.toString();
    assertTrue(EVENTS.matcher(body).matches(), body);
    List<JsonObject> chunks = chunks(body);
    List<JsonObject> withUsage = chunks.stream().filter(c -> c.containsKey("usage")).toList();
    assertEquals(1, withUsage.size(), "one usage chunk");
    JsonObject usageChunk = chunks.get(chunks.size() - 1);
    assertEquals(withUsage.get(0), usageChunk, "the usage chunk is the last before [DONE]");
    assertEquals(new JsonArray(), usageChunk.getJsonArray("choices"));
    JsonObject usage = usageChunk.getJsonObject("usage");
    assertEquals(12, usage.getInteger("completion_tokens"));
    assertEquals(usage.getInteger("prompt_tokens") + 12, usage.getInteger("total_tokens"));
    assertEquals("length", chunks.get(chunks.size() - 2).getJsonArray("choices").getJsonObject(0).getString("finish_reason"));
  }

  @Test
  void completionEventsCarryTextAndNoRole() throws Exception {
    String body = stream("/v1/completions", "{\"model\":\"twin\",\"stream\":true,\"temperature\":0,\"max_tokens\":10,"
        + "\"ignore_eos\":true,\"prompt\":\"The twin\"" + USAGE + "}").body.toString();
    assertTrue(EVENTS.matcher(body).matches(), body);
    assertTrue(body.endsWith("\n\ndata: [DONE]\n\n"));
    List<JsonObject> chunks = chunks(body);
    for (JsonObject chunk : chunks) {
      assertEquals("text_completion", chunk.getString("object"));
      assertTrue(chunk.getString("id").startsWith("cmpl-"));
      for (Object choice : chunk.getJsonArray("choices")) {
        assertFalse(((JsonObject) choice).containsKey("delta"), "completions stream text, not deltas");
        assertNotNull(((JsonObject) choice).getString("text"));
      }
    }
    assertEquals(10, chunks.get(chunks.size() - 1).getJsonObject("usage").getInteger("completion_tokens"));
  }

  @Test
  void eventsLeaveAsTheyAreGeneratedNotAtTheEnd() throws Exception {
    try (RawSse response = RawSse.post(gateway + "/v1/chat/completions", CHAT.formatted(400, ""))) {
      assertStreamsAsGenerated(response);
    }
  }

  private static void assertStreamsAsGenerated(RawSse response) throws Exception {
    long firstText = 0;
    long done = 0;
    int textEvents = 0;
    String event;
    while ((event = response.nextEvent()) != null) {
      if (event.equals("data: [DONE]")) {
        done = System.nanoTime();
        continue;
      }
      String content = new JsonObject(event.substring(6)).getJsonArray("choices").getJsonObject(0)
          .getJsonObject("delta").getString("content", "");
      if (!content.isEmpty() && textEvents++ == 0) {
        firstText = System.nanoTime();
      }
    }
    assertTrue(done > 0, "the stream ended with [DONE]");
    assertTrue(textEvents > 50, "about one event per token, not one big event: " + textEvents);
    long spreadMs = (done - firstText) / 1_000_000;
    assertTrue(spreadMs > 200, "400 tokens take a while: the first text must arrive long before [DONE], "
        + "but the gap was " + spreadMs + " ms (buffered?)");
  }

  @Test
  void aSilentStreamGetsKeepAliveCommentsBetweenEvents() throws Exception {
    String body = stream("/v1/chat/completions", CHAT.formatted(4, ""), chatty).body.toString();
    assertTrue(Pattern.compile("data: \\{[^\\n]+\\n\\n(: keep-alive\\n\\n)+data: \\{[^\\n]+\"late\"[^\\n]+\\n\\ndata: \\[DONE\\]\\n\\n")
        .matcher(body).matches(), "SSE comments keep a silent stream open, and only between events: " + body);
  }

  private static List<JsonObject> chunks(String body) {
    List<JsonObject> chunks = new ArrayList<>();
    for (String event : body.split("\n\n")) {
      assertTrue(event.startsWith("data: "), event);
      String data = event.substring(6);
      if (!data.equals("[DONE]")) {
        chunks.add(new JsonObject(data));
      }
    }
    return chunks;
  }
}
