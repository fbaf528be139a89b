package dev.twinmesh.common;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

/**
 * Builds OpenAI response bodies and stream chunks, for chat and plain completions, so the worker and the
 * gateway write exactly the same shapes.
 */
public final class OpenAiChunks {
  private OpenAiChunks() {}

  /** One streamed chunk: a role (first chunk only), a text delta, and a finish reason on the last one. */
  public static JsonObject chunk(OpenAiRequest.Kind kind, String id, long created, String model,
                                 String role, String delta, String finishReason, JsonObject logprobs) {
    JsonObject choice = new JsonObject().put("index", 0);
    if (kind == OpenAiRequest.Kind.CHAT) {
      JsonObject d = new JsonObject();
      if (role != null) {
        d.put("role", role);
      }
      if (delta != null) {
        d.put("content", delta);
      }
      choice.put("delta", d);
    } else {
      choice.put("text", delta == null ? "" : delta);
    }
    choice.put("logprobs", logprobs);
    choice.put("finish_reason", finishReason);
    return new JsonObject()
        .put("id", id)
        .put("object", kind == OpenAiRequest.Kind.CHAT ? "chat.completion.chunk" : "text_completion")
        .put("created", created)
        .put("model", model)
        .put("choices", new JsonArray().add(choice));
  }

  /** The usage chunk sent when {@code stream_options.include_usage} is set: no choices. */
  public static JsonObject usageChunk(OpenAiRequest.Kind kind, String id, long created, String model, Usage usage) {
    return new JsonObject()
        .put("id", id)
        .put("object", kind == OpenAiRequest.Kind.CHAT ? "chat.completion.chunk" : "text_completion")
        .put("created", created)
        .put("model", model)
        .put("choices", new JsonArray())
        .put("usage", usage(usage));
  }

  /** The whole answer of a non-streaming request. */
  public static JsonObject completion(OpenAiRequest.Kind kind, String id, long created, String model,
                                      String text, String finishReason, Usage usage, JsonObject logprobs) {
    JsonObject choice = new JsonObject().put("index", 0);
    if (kind == OpenAiRequest.Kind.CHAT) {
      choice.put("message", new JsonObject().put("role", "assistant").put("content", text));
    } else {
      choice.put("text", text);
    }
    choice.put("logprobs", logprobs);
    choice.put("finish_reason", finishReason);
    return new JsonObject()
        .put("id", id)
        .put("object", kind.object)
        .put("created", created)
        .put("model", model)
        .put("choices", new JsonArray().add(choice))
        .put("usage", usage(usage));
  }

  public static JsonObject usage(Usage usage) {
    return new JsonObject()
        .put("prompt_tokens", usage.promptTokens())
        .put("completion_tokens", usage.completionTokens())
        .put("total_tokens", usage.totalTokens());
  }

  /** SSE framing: one event is {@code data: <json>\n\n}. */
  public static String sseData(String payload) {
    return "data: " + payload + "\n\n";
  }

  public static final String SSE_DONE = "data: [DONE]\n\n";
}
