package dev.twinmesh.gateway.jobs;

import dev.twinmesh.common.JobFailure;
import dev.twinmesh.common.JobResult;
import dev.twinmesh.common.Json;
import io.vertx.core.json.JsonObject;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * What this process knows about jobs: every job id answered or dead-lettered (read from the results and
 * DLQ topics, so it survives restarts and spans replicas), the latest answers in full, and the jobs queued
 * or running here. Thread-safe: the consumer thread writes, HTTP handlers read.
 */
final class JobsView {
  private final Set<String> finished = ConcurrentHashMap.newKeySet();
  private final Map<String, String> local = new ConcurrentHashMap<>();
  private final Map<String, JsonObject> outcomes;

  /** @param keepOutcomes how many full answers and failures stay in memory for {@code GET /v1/jobs/{id}} */
  JobsView(int keepOutcomes) {
    this.outcomes = java.util.Collections.synchronizedMap(new LinkedHashMap<>(1024, 0.75f, false) {
      @Override
      protected boolean removeEldestEntry(Map.Entry<String, JsonObject> eldest) {
        return size() > keepOutcomes;
      }
    });
  }

  boolean isFinished(String jobId) {
    return jobId != null && finished.contains(jobId);
  }

  int finishedCount() {
    return finished.size();
  }

  void queued(String jobId) {
    if (!finished.contains(jobId)) {
      local.putIfAbsent(jobId, "queued");
    }
  }

  void running(String jobId) {
    local.put(jobId, "running");
  }

  /** The job is no longer running here (its partition moved, or this consumer restarted). */
  void released(String jobId) {
    local.replace(jobId, "running", "queued");
  }

  void answered(JobResult result) {
    finished.add(result.jobId());
    local.remove(result.jobId());
    outcomes.put(result.jobId(), Json.toJsonObject(result));
  }

  void failed(JobFailure failure) {
    if (failure.jobId() == null) {
      return;
    }
    finished.add(failure.jobId());
    local.remove(failure.jobId());
    outcomes.put(failure.jobId(), Json.toJsonObject(failure));
  }

  /** {@code {"id", "object": "twin.job", "status", "result"|"error"}}, or null for an id never seen here. */
  JsonObject status(String jobId) {
    JsonObject outcome = outcomes.get(jobId);
    JsonObject status = new JsonObject().put("id", jobId).put("object", "twin.job");
    if (outcome != null && outcome.containsKey("answer")) {
      return status.put("status", JobResult.STATUS_DONE).put("result", outcome);
    }
    if (outcome != null) {
      return status.put("status", JobFailure.STATUS_FAILED).put("error", outcome);
    }
    if (finished.contains(jobId)) {
      return status.put("status", "finished").put("note", "answered; the full result is on twin.jobs.results.v1");
    }
    String here = local.get(jobId);
    return here == null ? null : status.put("status", here);
  }
}
