package dev.twinmesh.gateway;

import dev.twinmesh.common.ApiException;
import dev.twinmesh.common.HttpErrors;
import dev.twinmesh.common.IngestRequest;
import dev.twinmesh.common.IngestRequests;
import dev.twinmesh.common.Json;
import dev.twinmesh.common.Names;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import java.time.Duration;

/**
 * {@code POST /v1/ingest}: an author's posts, articles or code into the twin's collections. The gateway checks the
 * body's shape (400 naming the field) and forwards it on {@code rag.ingest}; the rag side cleans, chunks, embeds
 * and stores, and its summary is the answer. Mounted behind the {@code /v1} API key and body limit (413).
 */
final class IngestRoutes {
  /** Embedding a full request (up to a thousand documents) on two cores takes minutes, not seconds. */
  static final Duration TIMEOUT = Duration.ofMinutes(10);

  private final Vertx vertx;

  IngestRoutes(Vertx vertx) {
    this.vertx = vertx;
  }

  void mount(Router router) {
    router.post("/v1/ingest").handler(this::handleIngest);
  }

  private void handleIngest(RoutingContext ctx) {
    IngestRequest request;
    try {
      request = IngestRequests.parse(ctx.body().asString());
    } catch (ApiException e) {
      HttpErrors.send(ctx.response(), e);
      return;
    }
    DeliveryOptions options = new DeliveryOptions().setSendTimeout(TIMEOUT.toMillis());
    vertx.eventBus().<JsonObject>request(Names.ADDRESS_RAG_INGEST, Json.toJsonObject(request), options)
        .onSuccess(reply -> ctx.json(reply.body()))
        .onFailure(e -> HttpErrors.send(ctx.response(), error(e)));
  }

  /** The rag side's failure codes are HTTP statuses; no consumer or no answer in time is a 503. */
  private static ApiException error(Throwable failure) {
    if (!(failure instanceof ReplyException reply)) {
      return ApiException.internal("ingestion failed: " + failure.getClass().getSimpleName());
    }
    return switch (reply.failureType()) {
      case NO_HANDLERS -> ApiException.unavailable("ingestion is not served here: no rag-verticle on the event bus", 5);
      case TIMEOUT -> ApiException.unavailable("ingestion took longer than " + TIMEOUT.toMinutes()
          + " minutes: send fewer documents per request", 5);
      default -> reply.failureCode() == 400 ? ApiException.invalidRequest(null, reply.getMessage())
          : reply.failureCode() == 503 ? ApiException.unavailable(reply.getMessage(), 5)
          : ApiException.internal(reply.getMessage());
    };
  }
}
