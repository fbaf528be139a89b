package dev.twinmesh.rag.retrieve;

import dev.twinmesh.common.ChatMessage;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.WebClient;
import io.vertx.ext.web.client.WebClientOptions;
import java.time.Duration;
import java.util.List;

/** A minimal non-streaming client of an OpenAI-compatible {@code /chat/completions} endpoint. */
public final class ChatClient implements AutoCloseable {
  private final WebClient client;
  private final String url;
  private final String apiKey;
  private final Duration timeout;

  /** @param baseUrl e.g. {@code http://localhost:8000/v1}; {@code /chat/completions} is appended */
  public ChatClient(Vertx vertx, String baseUrl, String apiKey, Duration timeout) {
    this.client = WebClient.create(vertx, new WebClientOptions().setConnectTimeout((int) Math.min(timeout.toMillis(), 5_000)));
    this.url = baseUrl.replaceAll("/+$", "") + "/chat/completions";
    this.apiKey = apiKey;
    this.timeout = timeout;
  }

  /** The first choice's message content. Fails on a transport error, a non-2xx answer or a body without content. */
  public Future<String> complete(String model, List<ChatMessage> messages, double temperature, int maxTokens) {
    JsonArray wire = new JsonArray();
    messages.forEach(m -> wire.add(new JsonObject().put("role", m.role()).put("content", m.content())));
    JsonObject body = new JsonObject().put("model", model).put("messages", wire).put("stream", false)
        .put("temperature", temperature).put("max_tokens", maxTokens);
    var request = client.postAbs(url).timeout(timeout.toMillis());
    if (apiKey != null && !apiKey.isBlank()) {
      request.bearerTokenAuthentication(apiKey);
    }
    return request.sendJsonObject(body).compose(response -> {
      if (response.statusCode() / 100 != 2) {
        return Future.failedFuture(url + " answered " + response.statusCode());
      }
      try {
        String content = response.bodyAsJsonObject().getJsonArray("choices").getJsonObject(0)
            .getJsonObject("message").getString("content");
        return content == null ? Future.failedFuture(url + " answered without content") : Future.succeededFuture(content);
      } catch (RuntimeException e) {
        return Future.failedFuture(url + " answered an unexpected body: " + e.getMessage());
      }
    });
  }

  @Override
  public void close() {
    client.close();
  }
}
