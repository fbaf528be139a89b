package dev.twinmesh.worker.server;

import dev.twinmesh.common.ApiException;
import dev.twinmesh.common.HttpErrors;
import dev.twinmesh.common.OpenAiRequest;
import dev.twinmesh.common.OpenAiRequests;
import dev.twinmesh.worker.engine.GenerationBackend;
import dev.twinmesh.worker.engine.GenerationHandle;
import dev.twinmesh.worker.engine.GenerationRequest;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.http.HttpServer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.BodyHandler;
import java.util.UUID;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The worker's OpenAI-compatible API. Validation and tokenizing happen here (tokenizing off the event
 * loop); generation happens on the engine thread, whose events hop back to this verticle's context.
 */
public final class WorkerVerticle extends VerticleBase {
  private static final Logger LOG = LoggerFactory.getLogger(WorkerVerticle.class);

  private final WorkerConfig config;
  private final ServedModel model;
  private final PromptEncoder encoder;
  private final GenerationBackend backend;
  private HttpServer server;

  public WorkerVerticle(WorkerConfig config, ServedModel model, PromptEncoder encoder, GenerationBackend backend) {
    this.config = config;
    this.model = model;
    this.encoder = encoder;
    this.backend = backend;
  }

  @Override
  public Future<?> start() {
    server = vertx.createHttpServer();
    return server.requestHandler(router()).listen(config.port(), config.host())
        .onSuccess(s -> LOG.info("worker {} serving {} on {}:{}", config.workerId(), model.name(), config.host(), s.actualPort()));
  }

  public int actualPort() {
    return server.actualPort();
  }

  private Router router() {
    Router router = Router.router(vertx);
    router.post("/v1/*").handler(BodyHandler.create(false).setBodyLimit(config.maxBodyBytes()));
    router.post("/v1/chat/completions").handler(ctx -> handleGeneration(ctx, OpenAiRequest.Kind.CHAT));
    router.post("/v1/completions").handler(ctx -> handleGeneration(ctx, OpenAiRequest.Kind.COMPLETION));
    router.get("/v1/models").handler(this::handleModels);
    router.get("/health").handler(this::handleHealth);
    router.get("/info").handler(this::handleInfo);
    router.route().last().handler(ctx -> HttpErrors.send(ctx.response(), ApiException.notFound("no route " + ctx.request().path())));
    router.route().failureHandler(this::handleFailure);
    return router;
  }

  private void handleGeneration(RoutingContext ctx, OpenAiRequest.Kind kind) {
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
    vertx.executeBlocking(() -> encode(request), false)
        .onSuccess(promptIds -> submit(ctx, context, request, promptIds))
        .onFailure(e -> HttpErrors.send(ctx.response(), ApiException.from(e)));
  }

  private int[] encode(OpenAiRequest request) {
    int[] ids = request.kind() == OpenAiRequest.Kind.CHAT
        ? encoder.encodeChat(request.messages())
        : encoder.encodePrompt(request.prompt());
    if (ids.length == 0) {
      throw ApiException.invalidRequest(request.kind() == OpenAiRequest.Kind.CHAT ? "messages" : "prompt", "the prompt is empty");
    }
    return ids;
  }

  private void submit(RoutingContext ctx, Context context, OpenAiRequest request, int[] promptIds) {
    if (ctx.response().closed()) {
      return; // the client left while the prompt was encoded: its close handler would never run
    }
    String id = (request.kind() == OpenAiRequest.Kind.CHAT ? "chatcmpl-" : "cmpl-") + UUID.randomUUID().toString().replace("-", "");
    ResponseStream stream = new ResponseStream(request, ctx.response(), model.name(), id, promptIds.length);
    GenerationHandle handle;
    try {
      int maxTokens = resolveMaxTokens(request, promptIds.length);
      GenerationRequest generation = new GenerationRequest(id, promptIds, request.sampling(), maxTokens,
          request.priority(), System.nanoTime());
      handle = backend.submit(generation, event -> context.runOnContext(v -> stream.on(event)));
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

  /** The prompt plus max_tokens must fit the context; an unset max_tokens takes what is left. */
  private int resolveMaxTokens(OpenAiRequest request, int promptTokens) {
    int room = model.maxModelLen() - promptTokens;
    Integer asked = request.sampling().maxTokens();
    if (room < 1 || (asked != null && asked > room)) {
      throw ApiException.contextTooLong("this model's maximum context length is " + model.maxModelLen()
          + " tokens; the prompt has " + promptTokens + " tokens"
          + (asked == null ? "" : " and max_tokens asks for " + asked) + ": shorten the prompt or lower max_tokens");
    }
    return asked == null ? room : asked;
  }

  private void handleModels(RoutingContext ctx) {
    JsonObject entry = new JsonObject()
        .put("id", model.name())
        .put("object", "model")
        .put("created", 0)
        .put("owned_by", "twin-mesh")
        .put("max_model_len", model.maxModelLen())
        .put("twin_mesh", info());
    ctx.json(new JsonObject().put("object", "list").put("data", new JsonArray().add(entry)));
  }

  private void handleHealth(RoutingContext ctx) {
    ctx.json(new JsonObject().put("status", "ok"));
  }

  private void handleInfo(RoutingContext ctx) {
    ctx.json(info());
  }

  private JsonObject info() {
    GenerationBackend.EngineLoad load = backend.load();
    JsonObject json = new JsonObject()
        .put("worker_id", config.workerId())
        .put("model", model.name())
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

  private void handleFailure(RoutingContext ctx) {
    ApiException error = switch (ctx.statusCode()) {
      case 413 -> ApiException.tooLarge("request body is larger than " + config.maxBodyBytes() + " bytes");
      case 400 -> ApiException.invalidRequest(null, "malformed request");
      default -> ApiException.from(ctx.failure());
    };
    if (error.status() >= 500) {
      LOG.error("unhandled failure on {}", ctx.request().path(), ctx.failure());
    }
    HttpErrors.send(ctx.response(), error);
  }

  @Override
  public Future<?> stop() {
    return server == null ? Future.succeededFuture() : server.close();
  }
}
