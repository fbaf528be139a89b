package dev.twinmesh.common;

import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpServerResponse;

/** The one mapping from {@link ApiException} to an HTTP response outside a stream. */
public final class HttpErrors {
  private HttpErrors() {}

  public static void send(HttpServerResponse response, ApiException error) {
    if (response.ended() || response.closed()) {
      return;
    }
    response.setStatusCode(error.status()).putHeader(HttpHeaders.CONTENT_TYPE, "application/json");
    if (error.retryAfterSeconds() != null) {
      response.putHeader(HttpHeaders.RETRY_AFTER, String.valueOf(error.retryAfterSeconds()));
    }
    response.end(error.toBody().encode());
  }
}
