package dev.twinmesh.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.twinmesh.common.TraceRecord;
import dev.twinmesh.gateway.GatewayConfig;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.json.JsonObject;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Every error the gateway can give, each provoked for real: OpenAI's error body with the right status,
 * type, code and {@code param}; Retry-After where waiting helps; and, once a stream has started, an
 * error event followed by {@code [DONE]}. Upstream misbehaviour comes from a scripted fake worker.
 */
class GatewayErrorsTest {
  private static final String SHORT_CHAT = "{\"model\":\"twin\",\"max_tokens\":4,\"ignore_eos\":true,"
      + "\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}";
  private static final String LONG_STREAM = "{\"model\":\"twin\",\"stream\":true,\"max_tokens\":1900,\"ignore_eos\":true,"
      + "\"messages\":[{\"role\":\"user\",\"content\":\"Write at length\"}]}";

  static TestMesh mesh;
  /** No keys, default limits: validation errors. */
  static String open;
  /** Keys ka and kb, one request in flight per key. */
  static String keyed;
  /** One request in flight in all, 4 KB bodies. */
  static String strict;
  /** In front of a port nobody listens on; health probes too rare to matter, so only failures eject. */
  static String deadEnd;
  /** In front of the scripted fake worker. */
  static String scripted;
  static volatile String fakeBehaviour = "error-event";

  @BeforeAll
  static void start() throws Exception {
    mesh = TestMesh.start(1, TestMesh.runtime());
    open = mesh.gateway();
    keyed = mesh.gateway(TestMesh.limits(8, 1), Set.of("ka", "kb"), GatewayConfig.DEFAULT_MAX_BODY_BYTES);
    strict = mesh.gateway(TestMesh.limits(1, 1), Set.of(), 4096);
    GatewayConfig.Limits rareProbes = new GatewayConfig.Limits(8, 8, Duration.ofMinutes(5), 3, Duration.ofSeconds(5));
    deadEnd = mesh.gateway(List.of(URI.create("http://127.0.0.1:" + freePort())), rareProbes, Set.of(), 1 << 20);
    HttpServer fake = TestMesh.await(mesh.vertx().createHttpServer().requestHandler(req -> {
      if (req.path().equals("/health")) {
        req.response().end("{\"status\":\"ok\"}");
      } else {
        req.body().onSuccess(b -> script(req.response()));
      }
    }).listen(0, "127.0.0.1"));
    scripted = mesh.gateway(List.of(URI.create("http://127.0.0.1:" + fake.actualPort())), rareProbes, Set.of(), 1 << 20);
  }

  @AfterAll
  static void stop() {
    if (mesh != null) {
      mesh.close();
    }
  }

  /** What the fake worker does with a generation request. */
  private static void script(HttpServerResponse response) {
    String chunk = "data: {\"id\":\"x\",\"object\":\"chat.completion.chunk\",\"created\":1,\"model\":\"twin\","
        + "\"choices\":[{\"index\":0,\"delta\":{\"content\":\"partial \"},\"finish_reason\":null}]}\n\n";
    switch (fakeBehaviour) {
      case "error-event" -> response.setChunked(true).putHeader("content-type", "text/event-stream")
          .write(chunk + chunk)
          .compose(v -> response.end("data: {\"error\":{\"message\":\"the engine failed\",\"type\":\"server_error\","
              + "\"param\":null,\"code\":\"internal_error\"}}\n\ndata: [DONE]\n\n"));
      case "drop" -> response.setChunked(true).putHeader("content-type", "text/event-stream")
          .write(chunk + chunk).onComplete(v -> response.reset());
      case "500" -> response.setStatusCode(500).putHeader("content-type", "application/json")
          .end("{\"error\":{\"message\":\"out of memory\",\"type\":\"server_error\",\"param\":null,\"code\":\"oom\"}}");
      default -> throw new IllegalStateException(fakeBehaviour);
    }
  }

  private static int freePort() throws Exception {
    try (ServerSocket socket = new ServerSocket(0)) {
      return socket.getLocalPort();
    }
  }

  private static JsonObject error(HttpResponse<String> response) {
    assertEquals("application/json", response.headers().firstValue("content-type").orElse(""), response.body());
    JsonObject error = new JsonObject(response.body()).getJsonObject("error");
    assertFalse(error.getString("message", "").isBlank(), "an error says what went wrong: " + response.body());
    assertTrue(error.containsKey("type") && error.containsKey("param") && error.containsKey("code"),
        "OpenAI's error shape has message, type, param and code: " + response.body());
    return error;
  }

  private static HttpResponse<String> post(String gateway, String body, String... headers) throws Exception {
    return MeshHttp.post(gateway + "/v1/chat/completions", body, headers);
  }

  @Test
  void malformedJsonIs400WithNoParam() throws Exception {
    for (String body : List.of("{\"model\":", "[1,2]", "", "not json")) {
      HttpResponse<String> response = post(open, body);
      assertEquals(400, response.statusCode(), body);
      JsonObject error = error(response);
      assertEquals("invalid_request_error", error.getString("type"));
      assertNull(error.getString("param"));
    }
  }

  @ParameterizedTest(name = "{0} names {1}")
  @CsvSource(delimiter = '|', value = {
      "{\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}                             | model",
      "{\"model\":7,\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}                   | model",
      "{\"model\":\"twin\"}                                                                 | messages",
      "{\"model\":\"twin\",\"messages\":[]}                                                 | messages",
      "{\"model\":\"twin\",\"messages\":[\"hi\"]}                                           | messages[0]",
      "{\"model\":\"twin\",\"messages\":[{\"role\":\"wizard\",\"content\":\"hi\"}]}          | messages[0].role",
      "{\"model\":\"twin\",\"messages\":[{\"role\":\"user\",\"content\":5}]}                 | messages[0].content",
      "{\"model\":\"twin\",\"temperature\":3,\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}    | temperature",
      "{\"model\":\"twin\",\"top_p\":0,\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}         | top_p",
      "{\"model\":\"twin\",\"max_tokens\":0,\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}    | max_tokens",
      "{\"model\":\"twin\",\"max_tokens\":1.5,\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}  | max_tokens",
      "{\"model\":\"twin\",\"stream\":\"yes\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}  | stream",
      "{\"model\":\"twin\",\"n\":2,\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}             | n",
      "{\"model\":\"twin\",\"stop\":[\"\"],\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}     | stop",
      "{\"model\":\"twin\",\"stream_options\":1,\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]} | stream_options",
      "{\"model\":\"twin\",\"top_logprobs\":2,\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}  | top_logprobs",
      "{\"model\":\"twin\",\"rag\":\"on\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}      | rag"})
  void aBadFieldIs400NamingTheField(String body, String param) throws Exception {
    HttpResponse<String> response = post(open, body);
    assertEquals(400, response.statusCode(), response.body());
    JsonObject error = error(response);
    assertEquals("invalid_request_error", error.getString("type"));
    assertEquals(param, error.getString("param"), response.body());
  }

  @Test
  void aBadPromptOnPlainCompletionsNamesPrompt() throws Exception {
    HttpResponse<String> response = MeshHttp.post(open + "/v1/completions", "{\"model\":\"twin\",\"prompt\":5}");
    assertEquals(400, response.statusCode());
    assertEquals("prompt", error(response).getString("param"));
  }

  @Test
  void missingOrWrongApiKeysAre401() throws Exception {
    HttpResponse<String> missing = post(keyed, SHORT_CHAT);
    assertEquals(401, missing.statusCode());
    assertEquals("invalid_api_key", error(missing).getString("code"));
    assertTrue(error(missing).getString("message").contains("missing"));

    for (String header : List.of("Bearer kc", "Bearer ka2", "Bearer k", "Basic ka", "ka", "Bearer ")) {
      HttpResponse<String> wrong = post(keyed, SHORT_CHAT, "Authorization", header);
      assertEquals(401, wrong.statusCode(), header);
      assertEquals("invalid_api_key", error(wrong).getString("code"));
    }
    HttpResponse<String> models = MeshHttp.get(keyed + "/v1/models");
    assertEquals(401, models.statusCode(), "every /v1 route needs the key");

    assertEquals(200, post(keyed, SHORT_CHAT, "Authorization", "Bearer ka").statusCode());
    assertEquals(200, post(keyed, SHORT_CHAT, "Authorization", "Bearer kb").statusCode());
    assertEquals(200, MeshHttp.get(keyed + "/health").statusCode(), "health needs no key");
  }

  @Test
  void anUnknownModelIs404NamingModel() throws Exception {
    HttpResponse<String> response = post(open, SHORT_CHAT.replace("\"twin\"", "\"gpt-4o\""));
    assertEquals(404, response.statusCode());
    JsonObject error = error(response);
    assertEquals("model_not_found", error.getString("code"));
    assertEquals("model", error.getString("param"));
    assertTrue(error.getString("message").contains("gpt-4o"));

    HttpResponse<String> noRoute = MeshHttp.post(open + "/v1/embeddings", "{}");
    assertEquals(404, noRoute.statusCode());
    assertEquals("not_found", error(noRoute).getString("code"));
  }

  @Test
  void aBodyOverTheLimitIs413() throws Exception {
    String big = SHORT_CHAT.replace("\"hi\"", "\"" + "x".repeat(8192) + "\"");
    HttpResponse<String> response = post(strict, big);
    assertEquals(413, response.statusCode());
    assertEquals("request_too_large", error(response).getString("code"));
    assertEquals(200, post(strict, SHORT_CHAT).statusCode(), "a small body still passes");
  }

  @Test
  void aPromptLongerThanTheContextIs422() throws Exception {
    String words = IntStream.range(0, 3000).mapToObj(i -> "word" + i).collect(Collectors.joining(" "));
    HttpResponse<String> tooLong = MeshHttp.post(open + "/v1/completions",
        "{\"model\":\"twin\",\"max_tokens\":4,\"prompt\":\"" + words + "\"}");
    assertEquals(422, tooLong.statusCode(), tooLong.body());
    JsonObject error = error(tooLong);
    assertEquals("context_length_exceeded", error.getString("code"));
    assertTrue(error.getString("message").contains("2048"), "the message names the limit: " + error);

    HttpResponse<String> tooManyTokens = post(open, SHORT_CHAT.replace("\"max_tokens\":4", "\"max_tokens\":5000"));
    assertEquals(422, tooManyTokens.statusCode());
    assertEquals("context_length_exceeded", error(tooManyTokens).getString("code"));

    HttpResponse<String> streamed = post(open, LONG_STREAM.replace("1900", "5000"));
    assertEquals(422, streamed.statusCode(), "a refusal before the stream opens is a status, not an event");
  }

  @Test
  void overTheAdmissionLimitIs429WithRetryAfterUntilASlotFrees() throws Exception {
    try (RawSse holder = RawSse.post(strict + "/v1/chat/completions", LONG_STREAM)) {
      assertEquals(200, holder.status);
      holder.nextEvent();
      HttpResponse<String> refused = post(strict, SHORT_CHAT);
      assertEquals(429, refused.statusCode());
      assertEquals("1", refused.headers().firstValue("retry-after").orElse(""));
      JsonObject error = error(refused);
      assertEquals("rate_limit_error", error.getString("type"));
      assertEquals("rate_limit_exceeded", error.getString("code"));
    }
    assertEquals(200, awaitNot429(strict, SHORT_CHAT), "the slot is free again once the first client left");
  }

  @Test
  void oneKeyCannotTakeAnotherKeysSlots() throws Exception {
    try (RawSse holder = RawSse.post(keyed + "/v1/chat/completions", LONG_STREAM, "Authorization: Bearer ka")) {
      assertEquals(200, holder.status);
      holder.nextEvent();
      HttpResponse<String> sameKey = post(keyed, SHORT_CHAT, "Authorization", "Bearer ka");
      assertEquals(429, sameKey.statusCode());
      assertEquals("1", sameKey.headers().firstValue("retry-after").orElse(""));
      assertEquals(200, post(keyed, SHORT_CHAT, "Authorization", "Bearer kb").statusCode());
    }
  }

  /** A released slot shows up as soon as the gateway saw the connection close. */
  private static int awaitNot429(String gateway, String body) throws Exception {
    long deadline = System.nanoTime() + Duration.ofSeconds(5).toNanos();
    int status;
    do {
      status = post(gateway, body).statusCode();
    } while (status == 429 && System.nanoTime() < deadline && sleep(50));
    return status;
  }

  private static boolean sleep(long ms) throws InterruptedException {
    Thread.sleep(ms);
    return true;
  }

  @Test
  void anUnreachableWorkerIs502AndStaysAFast502OnceEjected() throws Exception {
    for (int i = 0; i < 3; i++) {
      HttpResponse<String> unreachable = post(deadEnd, i == 1 ? LONG_STREAM : SHORT_CHAT);
      assertEquals(502, unreachable.statusCode(), unreachable.body());
      assertEquals("upstream_error", error(unreachable).getString("code"));
      assertTrue(error(unreachable).getString("message").contains("unreachable"), unreachable.body());
    }
    assertEquals(503, MeshHttp.get(deadEnd + "/v1/models").statusCode(), "three failures in a row eject the only worker");
    // with no healthy worker the gateway still tries each once (a health verdict can be wrong under load),
    // so a worker that is really down costs a refused connection, not a wait
    long started = System.nanoTime();
    HttpResponse<String> none = post(deadEnd, SHORT_CHAT);
    assertEquals(502, none.statusCode(), none.body());
    assertEquals("upstream_error", error(none).getString("code"));
    assertTrue(System.nanoTime() - started < 5_000_000_000L, "refused fast");
  }

  @Test
  void aWorker500Is502CarryingItsMessage() throws Exception {
    fakeBehaviour = "500";
    HttpResponse<String> response = post(scripted, SHORT_CHAT);
    assertEquals(502, response.statusCode());
    assertEquals("out of memory", error(response).getString("message"));
  }

  @Test
  void anErrorInsideTheStreamIsAnErrorEventThenDone() throws Exception {
    fakeBehaviour = "error-event";
    List<String> events = streamEvents(scripted);
    assertEquals(4, events.size(), events.toString());
    assertTrue(events.get(0).contains("partial"));
    assertTrue(events.get(1).contains("partial"));
    JsonObject error = new JsonObject(events.get(2).substring(6)).getJsonObject("error");
    assertEquals("the engine failed", error.getString("message"));
    assertEquals("server_error", error.getString("type"));
    assertEquals("data: [DONE]", events.get(3));
  }

  @Test
  void aWorkerThatDropsTheStreamGivesAnErrorEventThenDone() throws Exception {
    fakeBehaviour = "drop";
    List<String> events = streamEvents(scripted);
    assertEquals(4, events.size(), events.toString());
    JsonObject error = new JsonObject(events.get(2).substring(6)).getJsonObject("error");
    assertEquals("upstream_error", error.getString("code"));
    assertEquals("data: [DONE]", events.get(3));
    assertTrue(mesh.traces.stream().anyMatch(t -> t.status().equals(TraceRecord.STATUS_FAILED)
        && t.error() != null && t.error().status() == 502), "the failure is traced");
  }

  private static List<String> streamEvents(String gateway) throws Exception {
    try (RawSse stream = RawSse.post(gateway + "/v1/chat/completions",
        "{\"model\":\"twin\",\"stream\":true,\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}")) {
      assertEquals(200, stream.status);
      List<String> events = stream.allEvents();
      assertTrue(stream.body.toString().endsWith("data: [DONE]\n\n"), "the stream still ends properly");
      return events;
    }
  }
}
