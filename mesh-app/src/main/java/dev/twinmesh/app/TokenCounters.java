package dev.twinmesh.app;

import dev.twinmesh.rag.TokenCounter;
import dev.twinmesh.worker.tokenizer.TwinTokenizer;
import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Token counters for the RAG prompt budget, backed by the served model's own tokenizer. */
public final class TokenCounters {
  private static final Logger LOG = LoggerFactory.getLogger(TokenCounters.class);

  private TokenCounters() {}

  /** In one JVM the checkpoint is on disk: count with its tokenizer.json directly. */
  public static TokenCounter local(Path modelDir) {
    TwinTokenizer tokenizer = TwinTokenizer.load(modelDir);
    return text -> text == null || text.isEmpty() ? 0 : tokenizer.encode(text).length;
  }

  /**
   * Across machines the business pods have no checkpoint: ask a worker's {@code /tokenize}. Prompt
   * building runs off the event loop, so a blocking call is fine; when no worker answers, the
   * over-counting estimate keeps the budget safe.
   */
  static TokenCounter remote(URI worker) {
    HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
    TokenCounter fallback = TokenCounter.approximate();
    URI tokenize = worker.resolve("/tokenize");
    return text -> {
      if (text == null || text.isEmpty()) {
        return 0;
      }
      try {
        HttpRequest request = HttpRequest.newBuilder(tokenize).timeout(Duration.ofSeconds(5))
            .header("content-type", "application/json")
            .POST(HttpRequest.BodyPublishers.ofString(new JsonObject().put("prompt", text).encode())).build();
        HttpResponse<String> response = http.send(request, HttpResponse.BodyHandlers.ofString());
        if (response.statusCode() == 200) {
          return new JsonObject(response.body()).getInteger("count");
        }
        LOG.debug("{} answered {}; estimating tokens instead", tokenize, response.statusCode());
      } catch (Exception e) {
        if (e instanceof InterruptedException) {
          Thread.currentThread().interrupt();
        }
        LOG.debug("{} unreachable; estimating tokens instead: {}", tokenize, e.toString());
      }
      return fallback.count(text);
    };
  }
}
