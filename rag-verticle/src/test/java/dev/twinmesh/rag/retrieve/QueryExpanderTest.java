package dev.twinmesh.rag.retrieve;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Query expansion against a stand-in OpenAI-compatible server on localhost. */
class QueryExpanderTest {
  private Vertx vertx;
  private HttpServer server;
  private final AtomicReference<JsonObject> lastRequest = new AtomicReference<>();
  private volatile int status = 200;
  private volatile String answer = "";
  private volatile long delayMs = 0;

  @BeforeEach
  void start() throws Exception {
    vertx = Vertx.vertx();
    server = vertx.createHttpServer().requestHandler(req -> req.body().onSuccess(body -> {
      lastRequest.set(body.toJsonObject().put("path", req.path()).put("auth", req.getHeader("Authorization")));
      JsonObject reply = new JsonObject().put("choices", new JsonArray().add(
          new JsonObject().put("index", 0).put("message", new JsonObject().put("role", "assistant").put("content", answer))));
      vertx.setTimer(Math.max(1, delayMs), t -> req.response().setStatusCode(status).end(reply.encode()));
    })).listen(0, "127.0.0.1").await(10, TimeUnit.SECONDS);
  }

  @AfterEach
  void stop() throws Exception {
    vertx.close().await(10, TimeUnit.SECONDS);
  }

  private QueryExpander expander(int n, Duration timeout) {
    ChatClient client = new ChatClient(vertx, "http://127.0.0.1:" + server.actualPort() + "/v1/", "secret", timeout);
    return new QueryExpander(client, "twin", n);
  }

  private static <T> T await(io.vertx.core.Future<T> f) throws Exception {
    return f.toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
  }

  @Test
  void theOriginalQuestionComesFirstThenTheModelsRewrites() throws Exception {
    answer = "What is a loop?#next-question#1. How do cycles of operations work?#next-question# what is a loop? "
        + "#next-question#Explain repetition#next-question#One too many";
    List<String> queries = await(expander(4, Duration.ofSeconds(5)).expand("What is a loop?"));
    assertEquals(List.of("What is a loop?", "How do cycles of operations work?", "Explain repetition", "One too many"),
        queries);
    JsonObject sent = lastRequest.get();
    assertEquals("/v1/chat/completions", sent.getString("path"));
    assertEquals("Bearer secret", sent.getString("auth"));
    assertEquals("twin", sent.getString("model"));
    assertTrue(sent.getJsonArray("messages").getJsonObject(0).getString("content").contains("generate 3 different versions"));
  }

  @Test
  void aServerErrorDegradesToTheOriginalQuestion() throws Exception {
    status = 500;
    assertEquals(List.of("q?"), await(expander(5, Duration.ofSeconds(5)).expand("q?")));
  }

  @Test
  void aSlowServerDegradesToTheOriginalQuestion() throws Exception {
    delayMs = 3_000;
    assertEquals(List.of("q?"), await(expander(5, Duration.ofMillis(300)).expand("q?")));
  }

  @Test
  void anUnreachableServerDegradesToTheOriginalQuestion() throws Exception {
    QueryExpander nowhere = new QueryExpander(new ChatClient(vertx, "http://127.0.0.1:1/v1", null, Duration.ofSeconds(2)),
        "twin", 5);
    assertEquals(List.of("q?"), await(nowhere.expand("q?")));
  }

  @Test
  void expansionIsOffForOneQueryOrNoEndpoint() throws Exception {
    assertFalse(QueryExpander.off().enabled());
    assertFalse(expander(1, Duration.ofSeconds(1)).enabled());
    assertEquals(List.of("q?"), await(QueryExpander.off().expand("q?")));
  }

  @Test
  void linesAreAcceptedWhenTheSeparatorIsMissing() {
    assertEquals(List.of("q", "first", "second"), QueryExpander.parse("q", "1. first\n2) second\n", 5));
  }
}
