package dev.twinmesh.gateway.jobs;

import dev.twinmesh.common.ApiException;
import dev.twinmesh.common.JobRequest;
import dev.twinmesh.common.Json;
import dev.twinmesh.common.Names;
import dev.twinmesh.common.OpenAiRequest;
import dev.twinmesh.common.OpenAiRequests;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

/**
 * Reads job requests and turns them into the chat request the gateway serves. A job is checked with the
 * HTTP API's own validation before anything is generated, so a job the API would refuse is refused here,
 * with the same message.
 */
final class JobCodec {
  private JobCodec() {}

  /** A job that can be generated, or the reason it cannot. */
  record Parsed(JobRequest job, JsonObject chatBody, String error) {
    boolean valid() {
      return error == null;
    }
  }

  /** Parses a request value; {@code key} (the record key) stands in for a missing job id. */
  static Parsed parse(String value, String key, String defaultModel) {
    if (value == null || value.isBlank()) {
      return rejected(null, "empty value");
    }
    JobRequest job;
    try {
      job = Json.read(value, JobRequest.class);
    } catch (IllegalArgumentException e) {
      return rejected(null, e.getMessage());
    }
    if (job == null) {
      return rejected(null, "value is JSON null, not a job request");
    }
    if (job.jobId() == null || job.jobId().isBlank()) {
      if (key == null || key.isBlank()) {
        return rejected(null, "job_id is missing and the record has no key");
      }
      job = job.withJobId(key);
    }
    if (job.schema() != null && !Names.SCHEMA_JOB_REQUEST.equals(job.schema())) {
      return rejected(job, "unsupported schema '" + job.schema() + "', expected " + Names.SCHEMA_JOB_REQUEST);
    }
    return validate(job, defaultModel);
  }

  static Parsed validate(JobRequest job, String defaultModel) {
    if (job.chat().isEmpty()) {
      return rejected(job, "a job needs messages or a question");
    }
    JsonObject body = chatBody(job, defaultModel);
    try {
      OpenAiRequests.parse(OpenAiRequest.Kind.CHAT, body.copy());
    } catch (ApiException e) {
      return rejected(job, "invalid request" + (e.param() == null ? "" : " (" + e.param() + ")") + ": " + e.getMessage());
    } catch (RuntimeException e) {
      return rejected(job, "invalid request: " + e.getMessage());
    }
    return new Parsed(job, body, null);
  }

  /** The body of {@code POST /v1/chat/completions} for this job: sampling fields first, the job's own fields over them. */
  static JsonObject chatBody(JobRequest job, String defaultModel) {
    JsonObject body = job.sampling() == null ? new JsonObject() : new JsonObject(job.sampling());
    JsonArray messages = new JsonArray();
    job.chat().forEach(m -> messages.add(new JsonObject().put("role", m.role()).put("content", m.content())));
    body.put("model", job.model() == null || job.model().isBlank() ? defaultModel : job.model())
        .put("messages", messages)
        .put("stream", false);
    body.remove("stream_options");
    if (job.author() != null) {
      body.put("author", job.author());
    }
    if (job.rag() != null) {
      body.put("rag", job.rag());
    }
    return body;
  }

  private static Parsed rejected(JobRequest job, String reason) {
    String trimmed = reason == null ? "unknown" : reason.length() > 500 ? reason.substring(0, 500) + "..." : reason;
    return new Parsed(job, null, trimmed);
  }
}
