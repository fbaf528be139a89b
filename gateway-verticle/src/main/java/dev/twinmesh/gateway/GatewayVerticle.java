package dev.twinmesh.gateway;

import dev.twinmesh.common.ApiException;
import dev.twinmesh.common.ChatMessage;
import dev.twinmesh.common.HttpErrors;
import dev.twinmesh.common.Json;
import dev.twinmesh.common.Names;
import dev.twinmesh.common.OpenAiRequest;
import dev.twinmesh.common.OpenAiRequests;
import dev.twinmesh.common.RagPromptReply;
import dev.twinmesh.common.RagPromptRequest;
import dev.twinmesh.common.TraceRecord;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.http.HttpClientAgent;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.BodyHandler;
import io.vertx.ext.web.handler.CorsHandler;
import io.vertx.ext.web.handler.StaticHandler;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The public front door: OpenAI-compatible endpoints that validate, build the prompt through the
 * rag-verticle, and relay a worker's stream to the client. Prompt and answer text never reach the logs
 * at INFO.
 */
public final class GatewayVerticle extends VerticleBase {
  private static final Logger LOG = LoggerFactory.getLogger(GatewayVerticle.class);
  private static final String API_KEY = "twin.apiKey";
  /** The retrieved sources of an answer, URL-encoded JSON, for the chat page. */
  static final String HEADER_SOURCES = "X-Twin-Sources";

  private final GatewayConfig config;
  private final Consumer<TraceRecord> traces;
  private WorkerPool workers;
  private Admission admission;
  private HttpClientAgent client;
  private HttpServer server;
  private final List<Consumer<Router>> extraRoutes = new java.util.ArrayList<>();

  /** @param traces where finished, failed and cancelled generations go (the Kafka trace publisher) */
  public GatewayVerticle(GatewayConfig config, Consumer<TraceRecord> traces) {
    this.config = config;
    this.traces = traces;
  }

  @Override
  public Future<?> start() {
    workers = new WorkerPool(config.workers(), config.limits().ejectAfterFailures());
    admission = new Admission(config.limits().maxInFlight(), config.limits().maxInFlightPerKey());
    client = vertx.createHttpClient(
        new HttpClientOptions().setKeepAlive(true).setTcpNoDelay(true).setConnectTimeout(2000),
        new PoolOptions().setHttp1MaxSize(config.limits().maxInFlight()));
    new WorkerHealth(vertx, client, workers, config.limits().healthInterval(), config.workerDns()).start();
    server = vertx.createHttpServer();
    return server.requestHandler(router()).listen(config.port(), config.host())
        .onSuccess(s -> LOG.info("gateway listening on {}:{}, workers {}", config.host(), s.actualPort(), config.workers()));
  }

  /** Adds routes (jobs, metrics) mounted behind /v1 authentication and body handling; call before deploying. */
  public GatewayVerticle withRoutes(Consumer<Router> mount) {
    extraRoutes.add(mount);
    return this;
  }

  /** Generations admitted and not yet ended (the business service's scaling signal). */
  public int requestsInFlight() {
    return admission == null ? 0 : admission.inFlight();
  }

  /** The port actually bound (useful when configured as 0). */
  public int actualPort() {
    return server.actualPort();
  }

  private Router router() {
    Router router = Router.router(vertx);
    if (!config.corsOrigins().isEmpty()) {
      router.route().handler(CorsHandler.create()
          .addOrigins(config.corsOrigins())
          .allowedMethods(Set.of(HttpMethod.GET, HttpMethod.POST, HttpMethod.OPTIONS))
          .allowedHeaders(Set.of("content-type", "authorization"))
          .exposedHeaders(Set.of(Names.HEADER_TRACE_ID, HEADER_SOURCES)));
    }
    router.route("/v1/*").handler(this::handleAuth);
    router.post("/v1/*").handler(BodyHandler.create(false).setBodyLimit(config.maxBodyBytes()));
    new IngestRoutes(vertx).mount(router);
    router.post("/v1/chat/completions").handler(ctx -> handleGeneration(ctx, OpenAiRequest.Kind.CHAT));
    router.post("/v1/completions").handler(ctx -> handleGeneration(ctx, OpenAiRequest.Kind.COMPLETION));
    router.get("/v1/models").handler(this::handleModels);
    extraRoutes.forEach(mount -> mount.accept(router));
    router.get("/health").handler(ctx -> ctx.json(new JsonObject().put("status", "ok")));
    router.get("/*").handler(StaticHandler.create("webroot").setCachingEnabled(false));
    HttpErrors.installOn(router, config.maxBodyBytes());
    return router;
  }

  private void handleAuth(RoutingContext ctx) {
    if (config.apiKeys().isEmpty()) {
      ctx.next();
      return;
    }
    String header = ctx.request().getHeader(HttpHeaders.AUTHORIZATION);
    String presented = header != null && header.startsWith("Bearer ") ? header.substring(7).trim() : "";
    if (!knownKey(presented)) {
      HttpErrors.send(ctx.response(), ApiException.unauthorized(header == null
          ? "missing API key: send Authorization: Bearer <key>" : "incorrect API key"));
      return;
    }
    ctx.put(API_KEY, presented);
    ctx.next();
  }

  /** Compares against every key in constant time, so timing reveals neither a key nor which one matched. */
  private boolean knownKey(String presented) {
    byte[] given = presented.getBytes(StandardCharsets.UTF_8);
    boolean match = false;
    for (String key : config.apiKeys()) {
      match |= MessageDigest.isEqual(given, key.getBytes(StandardCharsets.UTF_8));
    }
    return match;
  }

  private void handleGeneration(RoutingContext ctx, OpenAiRequest.Kind kind) {
    OpenAiRequest request;
    try {
      request = OpenAiRequests.parse(kind, ctx.body().asString());
      if (!config.servedModels().contains(request.model())) {
        throw ApiException.modelNotFound(request.model());
      }
    } catch (ApiException e) {
      HttpErrors.send(ctx.response(), e);
      return;
    }
    String key = ctx.get(API_KEY);
    if (!admission.tryAcquire(key)) {
      HttpErrors.send(ctx.response(), ApiException.overloaded("too many requests in flight ("
          + admission.inFlight() + "); retry shortly", 1));
      return;
    }
    String traceId = UUID.randomUUID().toString().replace("-", "");
    ctx.response().putHeader(Names.HEADER_TRACE_ID, traceId);
    TraceRecorder trace = new TraceRecorder(traceId, request);
    LOG.debug("trace {}: {} request for model {}", traceId, kind, request.model());
    buildPrompt(request, trace).onComplete(prompted -> {
      if (ctx.response().closed()) {
        admission.release(key);
        traces.accept(trace.cancelled());
        return;
      }
      OpenAiRequest toWorker = prompted.succeeded() ? prompted.result() : request;
      if (prompted.failed()) {
        LOG.warn("trace {}: prompt building failed, answering without retrieval: {}", traceId, prompted.cause().getMessage());
      }
      trace.messagesSent(toWorker.messages());
      trace.sources().ifPresent(sources -> ctx.response().putHeader(HEADER_SOURCES, sources));
      new CompletionRelay(vertx, toWorker, ctx.response(), trace, workers, client, traces,
          config.limits().keepAliveInterval().toMillis(), () -> admission.release(key)).start();
    });
  }

  /** Asks the rag-verticle for the final messages; plain completions are sent as given. */
  private Future<OpenAiRequest> buildPrompt(OpenAiRequest request, TraceRecorder trace) {
    if (request.kind() != OpenAiRequest.Kind.CHAT) {
      return Future.succeededFuture(request);
    }
    RagPromptRequest ask = new RagPromptRequest(trace.traceId(), request.messages(), request.question(),
        request.author(), request.rag());
    DeliveryOptions options = new DeliveryOptions().setSendTimeout(config.ragTimeout().toMillis());
    return vertx.eventBus().<JsonObject>request(Names.ADDRESS_RAG_PROMPT, Json.toJsonObject(ask), options)
        .map(reply -> {
          RagPromptReply prompt = Json.fromJsonObject(reply.body(), RagPromptReply.class);
          trace.retrieval(prompt);
          List<ChatMessage> messages = prompt.messages();
          return request.withMessages(messages);
        });
  }

  private void handleModels(RoutingContext ctx) {
    Optional<WorkerPool.Worker> worker = workers.all().stream().filter(w -> w.healthy).findFirst();
    if (worker.isEmpty()) {
      HttpErrors.send(ctx.response(), ApiException.unavailable("no healthy worker is available", 2));
      return;
    }
    RequestOptions options = new RequestOptions().setMethod(HttpMethod.GET)
        .setAbsoluteURI(worker.get().resolve("/v1/models").toString());
    client.request(options)
        .compose(req -> req.send())
        .compose(resp -> resp.statusCode() == 200 ? resp.body()
            : Future.failedFuture("worker answered " + resp.statusCode()))
        .onSuccess(body -> ctx.response().putHeader(HttpHeaders.CONTENT_TYPE, "application/json").end(body))
        .onFailure(e -> HttpErrors.send(ctx.response(), ApiException.unavailable("no worker answered: " + e.getMessage(), 5)));
  }


  @Override
  public Future<?> stop() {
    return server == null ? Future.succeededFuture() : server.close().compose(v -> client.close());
  }
}
