package dev.twinmesh.common;

import io.vertx.core.json.JsonObject;

/**
 * The one error type of the serving path. It knows its HTTP status and renders itself as
 * OpenAI's error body, or as the in-stream SSE error event.
 */
public class ApiException extends RuntimeException {
  private final int status;
  private final String type;
  private final String param;
  private final String code;
  private final Integer retryAfterSeconds;

  public ApiException(int status, String type, String param, String code, String message, Integer retryAfterSeconds) {
    super(message);
    this.status = status;
    this.type = type;
    this.param = param;
    this.code = code;
    this.retryAfterSeconds = retryAfterSeconds;
  }

  public static ApiException invalidRequest(String param, String message) {
    return new ApiException(400, "invalid_request_error", param, null, message, null);
  }

  public static ApiException unauthorized(String message) {
    return new ApiException(401, "invalid_request_error", null, "invalid_api_key", message, null);
  }

  public static ApiException modelNotFound(String model) {
    return new ApiException(404, "invalid_request_error", "model", "model_not_found",
        "The model '" + model + "' does not exist", null);
  }

  public static ApiException notFound(String message) {
    return new ApiException(404, "invalid_request_error", null, "not_found", message, null);
  }

  public static ApiException tooLarge(String message) {
    return new ApiException(413, "invalid_request_error", null, "request_too_large", message, null);
  }

  public static ApiException contextTooLong(String message) {
    return new ApiException(422, "invalid_request_error", "messages", "context_length_exceeded", message, null);
  }

  public static ApiException overloaded(String message, int retryAfterSeconds) {
    return new ApiException(429, "rate_limit_error", null, "rate_limit_exceeded", message, retryAfterSeconds);
  }

  public static ApiException unavailable(String message, int retryAfterSeconds) {
    return new ApiException(503, "server_error", null, "service_unavailable", message, retryAfterSeconds);
  }

  public static ApiException badGateway(String message) {
    return new ApiException(502, "server_error", null, "upstream_error", message, null);
  }

  public static ApiException internal(String message) {
    return new ApiException(500, "server_error", null, "internal_error", message, null);
  }

  /** Maps any failure to an ApiException; unknown failures become a 500 that names no internals. */
  public static ApiException from(Throwable failure) {
    if (failure instanceof ApiException api) {
      return api;
    }
    if (failure != null && failure.getCause() instanceof ApiException api) {
      return api;
    }
    return internal("internal error: " + (failure == null ? "unknown" : failure.getClass().getSimpleName()));
  }

  /** Rebuilds an error from an OpenAI error body received from an upstream server. */
  public static ApiException fromBody(int status, JsonObject body) {
    JsonObject error = body == null ? null : body.getJsonObject("error");
    if (error == null) {
      return new ApiException(status, "server_error", null, null, "upstream answered " + status, null);
    }
    return new ApiException(status, error.getString("type", "server_error"), error.getString("param"),
        error.getString("code"), error.getString("message", "upstream answered " + status), null);
  }

  public int status() { return status; }
  public String type() { return type; }
  public String param() { return param; }
  public String code() { return code; }
  public Integer retryAfterSeconds() { return retryAfterSeconds; }

  /** OpenAI's error body: {"error": {"message", "type", "param", "code"}}. */
  public JsonObject toBody() {
    JsonObject error = new JsonObject()
        .put("message", getMessage())
        .put("type", type)
        .put("param", param)
        .put("code", code);
    return new JsonObject().put("error", error);
  }
}
