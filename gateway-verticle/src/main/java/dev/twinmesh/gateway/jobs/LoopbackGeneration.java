package dev.twinmesh.gateway.jobs;

import dev.twinmesh.common.ApiException;
import dev.twinmesh.common.Names;
import dev.twinmesh.common.Usage;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClientAgent;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.json.JsonObject;

/**
 * Generates a job by calling the gateway's own {@code POST /v1/chat/completions} over loopback: the same
 * validation, RAG, routing, admission and trace as any HTTP client gets, with no second code path to keep
 * in step. The cost is one local HTTP round trip per job, small beside a generation.
 */
final class LoopbackGeneration {
  /** What the gateway answered. */
  record Answer(String text, String finishReason, Usage usage, String traceId, String model) {}

  private final HttpClientAgent client;
  private final String chatUrl;
  private final String apiKey;

  LoopbackGeneration(Vertx vertx, String gatewayUrl, String apiKey, int maxConnections) {
    this.client = vertx.createHttpClient(new HttpClientOptions().setKeepAlive(true).setTcpNoDelay(true),
        new PoolOptions().setHttp1MaxSize(maxConnections));
    this.chatUrl = gatewayUrl.replaceAll("/+$", "") + "/v1/chat/completions";
    this.apiKey = apiKey;
  }

  /** Fails with an {@link ApiException} carrying the gateway's status (0 when it could not be reached). */
  Future<Answer> generate(JsonObject chatBody) {
    RequestOptions options = new RequestOptions().setMethod(HttpMethod.POST).setAbsoluteURI(chatUrl)
        .putHeader(HttpHeaders.CONTENT_TYPE, "application/json");
    if (apiKey != null && !apiKey.isBlank()) {
      options.putHeader(HttpHeaders.AUTHORIZATION, "Bearer " + apiKey);
    }
    return client.request(options)
        .compose(req -> req.send(chatBody.toBuffer()))
        .recover(e -> Future.failedFuture(new ApiException(0, "connection_error", null, null,
            "gateway unreachable: " + e.getMessage(), null)))
        .compose(resp -> resp.body().compose(body -> answer(resp.statusCode(), resp.getHeader(Names.HEADER_TRACE_ID), body)));
  }

  Future<Void> close() {
    return client.close();
  }

  private static Future<Answer> answer(int status, String traceId, Buffer body) {
    JsonObject json;
    try {
      json = body.toJsonObject();
    } catch (RuntimeException e) {
      return Future.failedFuture(ApiException.badGateway("gateway answered " + status + " with a body that is not JSON"));
    }
    if (status != 200) {
      return Future.failedFuture(ApiException.fromBody(status, json));
    }
    JsonObject choice = json.getJsonArray("choices").getJsonObject(0);
    JsonObject usage = json.getJsonObject("usage", new JsonObject());
    return Future.succeededFuture(new Answer(
        choice.getJsonObject("message", new JsonObject()).getString("content", ""),
        choice.getString("finish_reason"),
        new Usage(usage.getInteger("prompt_tokens", 0), usage.getInteger("completion_tokens", 0),
            usage.getInteger("total_tokens", 0)),
        traceId,
        json.getString("model")));
  }
}
