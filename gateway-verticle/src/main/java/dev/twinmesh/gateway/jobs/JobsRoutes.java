package dev.twinmesh.gateway.jobs;

import dev.twinmesh.common.ApiException;
import dev.twinmesh.common.HttpErrors;
import dev.twinmesh.common.JobRequest;
import dev.twinmesh.common.Json;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;

/**
 * Asynchronous generations over HTTP: {@code POST /v1/jobs} takes a job request (the JSON of
 * {@code twin.jobs.requests.v1}: {@code messages} or {@code question}, {@code author}, {@code rag},
 * {@code sampling}, optional {@code job_id} and {@code reply_topic}), checks it as the chat API would,
 * enqueues it and answers 202 with its id; {@code GET /v1/jobs/{id}} answers its status ({@code queued},
 * {@code running}, {@code done} with {@code result}, {@code failed} with {@code error}). Mounted under the
 * gateway's {@code /v1} authentication and body handling.
 */
public final class JobsRoutes {
  private final JobsService jobs;

  public JobsRoutes(JobsService jobs) {
    this.jobs = jobs;
  }

  public void mount(Router router) {
    router.post("/v1/jobs").handler(this::handleSubmit);
    router.get("/v1/jobs/:id").handler(this::handleStatus);
  }

  private void handleSubmit(RoutingContext ctx) {
    JobRequest job;
    try {
      job = Json.read(ctx.body().asString(), JobRequest.class);
      if (job == null) {
        throw new IllegalArgumentException("the body is JSON null");
      }
    } catch (RuntimeException e) {
      HttpErrors.send(ctx.response(), ApiException.invalidRequest(null, "a job is a JSON object: " + e.getMessage()));
      return;
    }
    JobCodec.Parsed parsed = JobCodec.validate(job, jobs.defaultModel());
    if (!parsed.valid()) {
      HttpErrors.send(ctx.response(), ApiException.invalidRequest(null, parsed.error()));
      return;
    }
    jobs.submit(job).onSuccess(id -> ctx.response().setStatusCode(202)
            .putHeader("content-type", "application/json")
            .putHeader("location", "/v1/jobs/" + id)
            .end(new JsonObject().put("id", id).put("object", "twin.job").put("status", "queued").encode()))
        .onFailure(e -> HttpErrors.send(ctx.response(), ApiException.from(e)));
  }

  private void handleStatus(RoutingContext ctx) {
    String id = ctx.pathParam("id");
    JsonObject status = jobs.status(id);
    if (status == null) {
      HttpErrors.send(ctx.response(), ApiException.notFound("no job '" + id + "' is known here yet"));
      return;
    }
    ctx.response().putHeader("content-type", "application/json").end(status.encode());
  }
}
