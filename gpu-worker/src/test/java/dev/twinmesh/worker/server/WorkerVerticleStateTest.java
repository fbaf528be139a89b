package dev.twinmesh.worker.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** A worker listens before its model is loaded, so probes see why it is not ready. */
class WorkerVerticleStateTest {
  private final HttpClient http = HttpClient.newHttpClient();
  private Vertx vertx;
  private ServingState state;
  private int port;

  @BeforeEach
  void start() throws Exception {
    vertx = Vertx.vertx();
    state = new ServingState();
    WorkerVerticle verticle = new WorkerVerticle(new WorkerConfig("127.0.0.1", 0, "w", 1 << 20), state);
    vertx.deployVerticle(verticle).await(30, TimeUnit.SECONDS);
    port = verticle.actualPort();
  }

  @AfterEach
  void stop() throws Exception {
    vertx.close().await(30, TimeUnit.SECONDS);
  }

  private HttpResponse<String> send(HttpRequest.Builder request) throws Exception {
    return http.send(request.build(), HttpResponse.BodyHandlers.ofString());
  }

  private HttpRequest.Builder at(String path) {
    return HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path));
  }

  @Test
  void whileLoadingHealthAndGenerationsAnswer503WithTheReason() throws Exception {
    HttpResponse<String> health = send(at("/health"));
    assertEquals(503, health.statusCode());
    assertEquals("loading", new JsonObject(health.body()).getString("status"));

    HttpResponse<String> chat = send(at("/v1/chat/completions").header("content-type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofString("{\"model\":\"twin\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}")));
    assertEquals(503, chat.statusCode());
    assertTrue(chat.headers().firstValue("retry-after").isPresent());
    assertTrue(new JsonObject(chat.body()).getJsonObject("error").getString("message").contains("loading"));
  }

  @Test
  void aFailedLoadIsReportedOnEveryEndpoint() throws Exception {
    state.failed("config.json: missing field hidden_size");
    assertEquals("failed", new JsonObject(send(at("/health")).body()).getString("status"));
    HttpResponse<String> models = send(at("/v1/models"));
    assertEquals(503, models.statusCode());
    assertTrue(models.body().contains("hidden_size"));
  }
}
