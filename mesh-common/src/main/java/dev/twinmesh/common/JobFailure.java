package dev.twinmesh.common;

/**
 * A job that will not be answered, on {@code twin.jobs.dlq.v1}: a malformed request or one that kept
 * failing. {@code request} is the value exactly as it arrived, so it can be fixed and sent again.
 *
 * @param jobId     null when the request had none (its key, if any, is the record's key)
 * @param retryable false when sending the same request again cannot help (invalid JSON, bad parameters)
 */
public record JobFailure(
    String schema,
    String jobId,
    String error,
    boolean retryable,
    int attempts,
    String request,
    String sourceTopic,
    int sourcePartition,
    long sourceOffset,
    long failedAt) {

  public static final String STATUS_FAILED = "failed";
}
