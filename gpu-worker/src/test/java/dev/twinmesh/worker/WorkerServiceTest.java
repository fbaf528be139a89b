package dev.twinmesh.worker;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.twinmesh.worker.checkpoint.ModelPreset;
import dev.twinmesh.worker.checkpoint.RandomCheckpointWriter;
import dev.twinmesh.worker.checkpoint.WriteProgress;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The worker on its own: a tiny random checkpoint served over its OpenAI-compatible API. */
class WorkerServiceTest {
  @TempDir
  static Path dir;
  static Vertx vertx;
  static WorkerService worker;
  static final HttpClient HTTP = HttpClient.newHttpClient();

  @BeforeAll
  static void start() throws Exception {
    RandomCheckpointWriter.write(ModelPreset.byId("tiny"), dir, 3, "fp32", Long.MAX_VALUE, WriteProgress.quiet());
    vertx = Vertx.vertx();
    worker = WorkerService.start(vertx, new WorkerSettings(dir, "twin", "127.0.0.1", 0, "w0",
        new WorkerSettings.Runtime("cpu", 1, 256, 4, 16))).await(2, TimeUnit.MINUTES);
  }

  @AfterAll
  static void stop() throws Exception {
    if (worker != null) {
      worker.close();
    }
    vertx.close().await(30, TimeUnit.SECONDS);
  }

  static HttpResponse<String> post(String path, String body) throws Exception {
    return HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + worker.port() + path))
        .header("content-type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body)).build(),
        HttpResponse.BodyHandlers.ofString());
  }

  @Test
  void completionsAreGreedyAndRepeatable() throws Exception {
    String body = "{\"model\":\"twin\",\"prompt\":\"Hello twin\",\"max_tokens\":12,\"temperature\":0,\"ignore_eos\":true}";
    HttpResponse<String> first = post("/v1/completions", body);
    assertEquals(200, first.statusCode(), first.body());
    JsonObject json = new JsonObject(first.body());
    assertEquals("length", json.getJsonArray("choices").getJsonObject(0).getString("finish_reason"));
    assertEquals(12, json.getJsonObject("usage").getInteger("completion_tokens"));
    assertEquals(json.getJsonArray("choices").getJsonObject(0).getString("text"),
        new JsonObject(post("/v1/completions", body).body()).getJsonArray("choices").getJsonObject(0).getString("text"));
  }

  @Test
  void chatStreamsChunksEndingInDone() throws Exception {
    HttpResponse<String> response = post("/v1/chat/completions", "{\"model\":\"twin\",\"stream\":true,\"max_tokens\":8,"
        + "\"ignore_eos\":true,\"messages\":[{\"role\":\"user\",\"content\":\"Write about RAG\"}]}");
    assertEquals(200, response.statusCode(), response.body());
    assertTrue(response.body().startsWith("data: {"), response.body());
    assertTrue(response.body().endsWith("data: [DONE]\n\n"));
    assertTrue(response.body().contains("\"finish_reason\":\"length\""));
  }

  @Test
  void metricsUseVllmNamesAndCountTokens() throws Exception {
    post("/v1/completions", "{\"model\":\"twin\",\"prompt\":\"count me\",\"max_tokens\":5,\"ignore_eos\":true}");
    String metrics = HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + worker.port() + "/metrics")).build(),
        HttpResponse.BodyHandlers.ofString()).body();
    for (String name : new String[] {"vllm:num_requests_waiting{", "vllm:num_requests_running{", "vllm:kv_cache_usage_perc{",
        "vllm:num_preemptions_total{", "vllm:prompt_tokens_total{", "vllm:generation_tokens_total{",
        "vllm:prefix_cache_queries_total{", "vllm:prefix_cache_hits_total{", "vllm:time_to_first_token_seconds_bucket{",
        "vllm:inter_token_latency_seconds_bucket{", "vllm:e2e_request_latency_seconds_bucket{",
        "vllm:request_queue_time_seconds_bucket{"}) {
      assertTrue(metrics.contains(name), "exports " + name);
    }
    double generated = metrics.lines().filter(l -> l.startsWith("vllm:generation_tokens_total{"))
        .mapToDouble(l -> Double.parseDouble(l.substring(l.lastIndexOf(' ') + 1))).sum();
    assertTrue(generated >= 5, "generated tokens counted: " + generated);
  }

  @Test
  void tokenizeCountsWithTheServedTokenizer() throws Exception {
    JsonObject plain = new JsonObject(post("/tokenize", "{\"prompt\":\"Hello twin\"}").body());
    JsonObject chat = new JsonObject(post("/tokenize", "{\"messages\":[{\"role\":\"user\",\"content\":\"Hello twin\"}]}").body());
    assertTrue(plain.getInteger("count") > 0);
    assertEquals(plain.getInteger("count"), plain.getJsonArray("tokens").size());
    assertTrue(chat.getInteger("count") > plain.getInteger("count"), "the chat template adds its headers");
    assertEquals(400, post("/tokenize", "{\"prompt\":5}").statusCode());
  }

  @Test
  void aPromptThatCannotFitIsRefusedWith422() throws Exception {
    HttpResponse<String> response = post("/v1/completions", "{\"model\":\"twin\",\"prompt\":\"hi\",\"max_tokens\":1000}");
    assertEquals(422, response.statusCode());
    assertFalse(new JsonObject(response.body()).getJsonObject("error").getString("message").isEmpty());
  }
}
