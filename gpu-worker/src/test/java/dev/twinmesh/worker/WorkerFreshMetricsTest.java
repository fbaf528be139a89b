package dev.twinmesh.worker;

import static org.junit.jupiter.api.Assertions.assertEquals;

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
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A fresh worker's Prometheus metrics: the warm-up generation it runs before reporting healthy is not
 * counted, and the first client's request is, exactly.
 */
class WorkerFreshMetricsTest {
  private static final HttpClient HTTP = HttpClient.newHttpClient();

  @TempDir
  Path dir;

  @Test
  void countersStartAtZeroAfterTheWarmUpAndCountTheFirstRequestExactly() throws Exception {
    RandomCheckpointWriter.write(ModelPreset.byId("tiny"), dir, 3, "fp32", Long.MAX_VALUE, WriteProgress.quiet());
    Vertx vertx = Vertx.vertx();
    WorkerService worker = WorkerService.start(vertx, new WorkerSettings(dir, "twin", "127.0.0.1", 0, "w0",
        new WorkerSettings.Runtime("cpu", 1, 256, 4, 16))).await(2, TimeUnit.MINUTES);
    try {
      String fresh = scrape(worker);
      assertEquals(0.0, sum(fresh, "vllm:generation_tokens_total{", ""), fresh);
      assertEquals(0.0, sum(fresh, "vllm:prompt_tokens_total{", ""), fresh);
      assertEquals(0.0, sum(fresh, "vllm:request_success_total{", ""), fresh);
      assertEquals(0.0, sum(fresh, "vllm:e2e_request_latency_seconds_count{", ""), fresh);
      assertEquals(0.0, sum(fresh, "vllm:time_to_first_token_seconds_count{", ""), fresh);

      HttpResponse<String> response = HTTP.send(HttpRequest.newBuilder(
              URI.create("http://127.0.0.1:" + worker.port() + "/v1/completions"))
          .header("content-type", "application/json")
          .POST(HttpRequest.BodyPublishers.ofString(
              "{\"model\":\"twin\",\"prompt\":\"count me\",\"max_tokens\":5,\"ignore_eos\":true}")).build(),
          HttpResponse.BodyHandlers.ofString());
      assertEquals(200, response.statusCode(), response.body());
      int promptTokens = new JsonObject(response.body()).getJsonObject("usage").getInteger("prompt_tokens");

      String after = scrape(worker);
      assertEquals(5.0, sum(after, "vllm:generation_tokens_total{", ""), after);
      assertEquals(promptTokens, sum(after, "vllm:prompt_tokens_total{", ""), after);
      assertEquals(1.0, sum(after, "vllm:request_success_total{", "finished_reason=\"length\""), after);
      assertEquals(1.0, sum(after, "vllm:request_success_total{", ""), after);
      assertEquals(1.0, sum(after, "vllm:e2e_request_latency_seconds_count{", ""), after);
      assertEquals(1.0, sum(after, "vllm:time_to_first_token_seconds_count{", ""), after);
    } finally {
      worker.close();
      vertx.close().await(30, TimeUnit.SECONDS);
    }
  }

  private static String scrape(WorkerService worker) throws Exception {
    return HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + worker.port() + "/metrics")).build(),
        HttpResponse.BodyHandlers.ofString()).body();
  }

  /** The sum of the samples whose line starts with {@code prefix} and contains {@code label}; 0 when none. */
  private static double sum(String metrics, String prefix, String label) {
    return metrics.lines().filter(l -> l.startsWith(prefix) && l.contains(label))
        .mapToDouble(l -> Double.parseDouble(l.substring(l.lastIndexOf(' ') + 1))).sum();
  }
}
