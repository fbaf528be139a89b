package dev.twinmesh.worker.server;

import dev.twinmesh.common.ApiException;
import dev.twinmesh.common.HttpErrors;
import dev.twinmesh.common.Names;
import dev.twinmesh.common.OpenAiRequest;
import dev.twinmesh.common.OpenAiRequests;
import dev.twinmesh.worker.engine.GenerationBackend;
import dev.twinmesh.worker.engine.GenerationHandle;
import dev.twinmesh.worker.engine.GenerationRequest;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpServer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.BodyHandler;
import java.util.UUID;
import java.util.function.Supplier;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The worker's OpenAI-compatible API. Validation and tokenizing happen here (tokenizing off the event
 * loop); generation happens on the engine thread, whose events hop back to this verticle's context.
 */
public final class WorkerVerticle extends VerticleBase {
  private static final Logger LOG = LoggerFactory.getLogger(WorkerVerticle.class);
  /** What a caller's completion id may look like: it goes into every chunk and back into a header. */
  private static final Pattern COMPLETION_ID = Pattern.compile("[A-Za-z0-9_.-]{1,128}");

  private final WorkerConfig config;
  private final ServingState state;
  private HttpServer server;

  /** @param state what the worker serves; until it is ready every endpoint but /health answers 503 */
  public WorkerVerticle(WorkerConfig config, ServingState state) {
    this.config = config;
    this.state = state;
  }

  @Override
  public Future<?> start() {
    server = vertx.createHttpServer();
    return server.requestHandler(router()).listen(config.port(), config.host())
        .onSuccess(s -> LOG.info("worker {} listening on {}:{}", config.workerId(), config.host(), s.actualPort()));
  }

  public int actualPort() {
    return server.actualPort();
  }

  private Router router() {
    Router router = Router.router(vertx);
    router.get("/health").handler(this::handleHealth);
    router.route().handler(this::requireServing);
    router.post("/v1/*").handler(BodyHandler.create(false).setBodyLimit(config.maxBodyBytes()));
    router.post("/v1/chat/completions").handler(ctx -> handleGeneration(ctx, OpenAiRequest.Kind.CHAT));
    router.post("/v1/completions").handler(ctx -> handleGeneration(ctx, OpenAiRequest.Kind.COMPLETION));
    router.get("/v1/models").handler(this::handleModels);
    router.post("/tokenize").handler(BodyHandler.create(false).setBodyLimit(config.maxBodyBytes()));
    router.post("/tokenize").handler(this::handleTokenize);
    router.get("/info").handler(this::handleInfo);
    router.get("/metrics").handler(ctx -> ctx.response()
        .putHeader(HttpHeaders.CONTENT_TYPE, "text/plain; version=0.0.4; charset=utf-8")
        .end(state.serving().metrics().get()));
    HttpErrors.installOn(router, config.maxBodyBytes());
    return router;
  }

  /** Everything but /health waits for the model; a draining worker still serves its metrics and info. */
  private void requireServing(RoutingContext ctx) {
    ServingState.Phase phase = state.phase();
    boolean generation = ctx.request().path().startsWith("/v1/") || ctx.request().path().equals("/tokenize");
    if (phase == ServingState.Phase.READY || (phase == ServingState.Phase.DRAINING && !generation)) {
      ctx.next();
      return;
    }
    HttpErrors.send(ctx.response(), ApiException.unavailable(notServingReason(phase), 5));
  }

  private String notServingReason(ServingState.Phase phase) {
    return switch (phase) {
      case LOADING -> "the worker is loading its model";
      case DRAINING -> "the worker is draining before it stops";
      case FAILED -> "the worker failed to load its model: " + state.failure();
      case READY -> "ready";
    };
  }

  private void handleGeneration(RoutingContext ctx, OpenAiRequest.Kind kind) {
    ServingState.Serving serving = state.serving();
    ServedModel model = serving.model();
    OpenAiRequest request;
    try {
      request = OpenAiRequests.parse(kind, ctx.body().asString());
      if (!model.name().equals(request.model())) {
        throw ApiException.modelNotFound(request.model());
      }
    } catch (ApiException e) {
      HttpErrors.send(ctx.response(), e);
      return;
    }
    Context context = vertx.getOrCreateContext();
    vertx.executeBlocking(() -> encode(serving.encoder(), request), false)
        .onSuccess(promptIds -> submit(ctx, context, serving, request, promptIds))
        .onFailure(e -> HttpErrors.send(ctx.response(), ApiException.from(e)));
  }

  private static int[] encode(PromptEncoder encoder, OpenAiRequest request) {
    int[] ids = request.kind() == OpenAiRequest.Kind.CHAT
        ? encoder.encodeChat(request.messages())
        : encoder.encodePrompt(request.prompt());
    if (ids.length == 0) {
      throw ApiException.invalidRequest(request.kind() == OpenAiRequest.Kind.CHAT ? "messages" : "prompt", "the prompt is empty");
    }
    return ids;
  }

  private void submit(RoutingContext ctx, Context context, ServingState.Serving serving, OpenAiRequest request,
                      int[] promptIds) {
    if (ctx.response().closed()) {
      return; // the client left while the prompt was encoded: its close handler would never run
    }
    ServedModel model = serving.model();
    String id = (request.kind() == OpenAiRequest.Kind.CHAT ? "chatcmpl-" : "cmpl-") + UUID.randomUUID().toString().replace("-", "");
    ResponseStream stream = new ResponseStream(request, ctx.response(), model.name(), completionId(ctx, id),
        promptIds.length);
    GenerationHandle handle;
    try {
      int maxTokens = resolveMaxTokens(model, request, promptIds.length);
      // the engine keys sequences by the worker's own id: a caller's id need not be unique here
      GenerationRequest generation = new GenerationRequest(id, promptIds, request.sampling(), maxTokens,
          request.priority(), System.nanoTime());
      handle = serving.backend().submit(generation, event -> context.runOnContext(v -> stream.on(event)));
    } catch (ApiException e) {
      stream.fail(e);
      return;
    }
    ctx.response().closeHandler(v -> {
      if (!stream.ended()) {
        handle.cancel();
      }
    });
    stream.begin();
  }

  /**
   * The id the chunks carry: the gateway's own when it sends one (echoed back, so it knows its client can
   * be given this worker's bytes unchanged), else the worker's.
   */
  private static String completionId(RoutingContext ctx, String own) {
    String asked = ctx.request().getHeader(Names.HEADER_COMPLETION_ID);
    if (asked == null || !COMPLETION_ID.matcher(asked).matches()) {
      return own;
    }
    ctx.response().putHeader(Names.HEADER_COMPLETION_ID, asked);
    return asked;
  }

  /** The prompt plus max_tokens must fit the context; an unset max_tokens takes what is left. */
  private static int resolveMaxTokens(ServedModel model, OpenAiRequest request, int promptTokens) {
    int room = model.maxModelLen() - promptTokens;
    Integer asked = request.sampling().maxTokens();
    if (room < 1 || (asked != null && asked > room)) {
      throw ApiException.contextTooLong("this model's maximum context length is " + model.maxModelLen()
          + " tokens; the prompt has " + promptTokens + " tokens"
          + (asked == null ? "" : " and max_tokens asks for " + asked) + ": shorten the prompt or lower max_tokens");
    }
    return asked == null ? room : asked;
  }

  /**
   * vLLM's {@code /tokenize}: the served model's token ids for a prompt, or for messages rendered with its
   * chat template. The business pods count token budgets with it.
   */
  private void handleTokenize(RoutingContext ctx) {
    JsonObject body;
    try {
      body = ctx.body().asJsonObject();
    } catch (RuntimeException e) {
      body = null;
    }
    if (body == null || !(body.getValue("prompt") instanceof String || body.getValue("messages") instanceof JsonArray)) {
      HttpErrors.send(ctx.response(), ApiException.invalidRequest("prompt", "send a string prompt or a messages array"));
      return;
    }
    OpenAiRequest.Kind kind = body.containsKey("messages") ? OpenAiRequest.Kind.CHAT : OpenAiRequest.Kind.COMPLETION;
    JsonObject request = body.copy();
    ServingState.Serving serving = state.serving();
    JsonObject asked = request.put("model", serving.model().name());
    vertx.executeBlocking(() -> encode(serving.encoder(), OpenAiRequests.parse(kind, asked)), false)
        .onSuccess(ids -> {
          JsonArray tokens = new JsonArray();
          for (int id : ids) {
            tokens.add(id);
          }
          ctx.json(new JsonObject().put("count", ids.length).put("max_model_len", serving.model().maxModelLen()).put("tokens", tokens));
        })
        .onFailure(e -> HttpErrors.send(ctx.response(), ApiException.from(e)));
  }

  private void handleModels(RoutingContext ctx) {
    ServedModel model = state.serving().model();
    JsonObject entry = new JsonObject()
        .put("id", model.name())
        .put("object", "model")
        .put("created", 0)
        .put("owned_by", "twin-mesh")
        .put("max_model_len", model.maxModelLen())
        .put("twin_mesh", info());
    ctx.json(new JsonObject().put("object", "list").put("data", new JsonArray().add(entry)));
  }

  /** 200 only while ready: a loading, draining or failed worker takes no new requests. */
  private void handleHealth(RoutingContext ctx) {
    ServingState.Phase phase = state.phase();
    ctx.response().setStatusCode(phase == ServingState.Phase.READY ? 200 : 503);
    ctx.json(new JsonObject().put("status", phase.name().toLowerCase()));
  }

  private void handleInfo(RoutingContext ctx) {
    ctx.json(info());
  }

  private JsonObject info() {
    ServedModel model = state.serving().model();
    GenerationBackend.EngineLoad load = state.serving().backend().load();
    JsonObject json = new JsonObject()
        .put("worker_id", config.workerId())
        .put("model", model.name())
        .put("status", state.phase().name().toLowerCase())
        .put("checkpoint", model.checkpoint())
        .put("architecture", model.architecture())
        .put("parameters", model.parameters())
        .put("max_model_len", model.maxModelLen())
        .put("random_weights", model.randomWeights())
        .put("load", new JsonObject()
            .put("waiting", load.waiting())
            .put("running", load.running())
            .put("kv_cache_usage", load.kvCacheUsage()));
    if (model.randomWeights()) {
      json.put("note", ServedModel.RANDOM_WEIGHTS_NOTE);
    }
    return json;
  }


  @Override
  public Future<?> stop() {
    return server == null ? Future.succeededFuture() : server.close();
  }
}
