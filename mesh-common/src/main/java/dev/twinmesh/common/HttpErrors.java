package dev.twinmesh.common;

import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** The one mapping from {@link ApiException} to an HTTP response outside a stream. */
public final class HttpErrors {
  private static final Logger LOG = LoggerFactory.getLogger(HttpErrors.class);

  private HttpErrors() {}

  /**
   * The last routes of every twin-mesh router: an OpenAI-style 404 for unknown paths, and one failure
   * handler that turns body-limit and parse failures into 413 and 400 and anything else into a 500
   * that names no internals (the stack trace goes to the log).
   */
  public static void installOn(Router router, long maxBodyBytes) {
    router.route().last().handler(ctx -> send(ctx.response(), ApiException.notFound("no route " + ctx.request().path())));
    router.route().failureHandler(ctx -> handleFailure(ctx, maxBodyBytes));
  }

  private static void handleFailure(RoutingContext ctx, long maxBodyBytes) {
    ApiException error = switch (ctx.statusCode()) {
      case 413 -> ApiException.tooLarge("request body is larger than " + maxBodyBytes + " bytes");
      case 400 -> ApiException.invalidRequest(null, "malformed request");
      default -> ApiException.from(ctx.failure());
    };
    if (error.status() >= 500) {
      LOG.error("unhandled failure on {}", ctx.request().path(), ctx.failure());
    }
    send(ctx.response(), error);
  }

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
