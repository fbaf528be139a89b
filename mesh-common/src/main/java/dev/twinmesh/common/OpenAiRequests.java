package dev.twinmesh.common;

import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * Parses and validates OpenAI request bodies. Every rejection is a 400 that names the field,
 * so clients can fix what they sent.
 */
public final class OpenAiRequests {
  private static final Set<String> ROLES = Set.of("system", "user", "assistant", "tool", "developer");
  private static final int MAX_STOP_STRINGS = 16;

  private OpenAiRequests() {}

  public static OpenAiRequest parse(OpenAiRequest.Kind kind, String body) {
    JsonObject json;
    try {
      json = new JsonObject(body == null ? "" : body);
    } catch (DecodeException | ClassCastException e) {
      throw ApiException.invalidRequest(null, "request body is not a JSON object");
    }
    return parse(kind, json);
  }

  public static OpenAiRequest parse(OpenAiRequest.Kind kind, JsonObject json) {
    String model = string(json, "model", true);
    List<ChatMessage> messages = kind == OpenAiRequest.Kind.CHAT ? messages(json) : List.of();
    String prompt = kind == OpenAiRequest.Kind.COMPLETION ? prompt(json) : null;
    boolean stream = bool(json, "stream", false);
    boolean includeUsage = false;
    Object options = json.getValue("stream_options");
    if (options != null) {
      if (!(options instanceof JsonObject o)) {
        throw ApiException.invalidRequest("stream_options", "stream_options must be an object");
      }
      includeUsage = bool(o, "include_usage", false);
    }
    integer(json, "n", 1, 1, 1); // one choice per request: a twin answers once
    boolean rag = bool(json, "rag", true);
    String author = string(json, "author", false);
    int priority = integer(json, "priority", 0, -1000, 1000);
    return new OpenAiRequest(kind, model, messages, prompt, stream, includeUsage, sampling(kind, json), rag, author, priority);
  }

  private static SamplingParams sampling(OpenAiRequest.Kind kind, JsonObject json) {
    double temperature = number(json, "temperature", SamplingParams.DEFAULT_TEMPERATURE, 0, 2);
    double topP = number(json, "top_p", SamplingParams.DEFAULT_TOP_P, 0, 1);
    if (topP <= 0) {
      throw ApiException.invalidRequest("top_p", "top_p must be in (0, 1]");
    }
    int topK = integer(json, "top_k", 0, -1, 1_000_000);
    double minP = number(json, "min_p", 0, 0, 1);
    double repetition = number(json, "repetition_penalty", 1, 0.01, 10);
    double frequency = number(json, "frequency_penalty", 0, -2, 2);
    double presence = number(json, "presence_penalty", 0, -2, 2);
    Long seed = json.getValue("seed") == null ? null : longValue(json, "seed");
    List<String> stop = stop(json);
    List<Integer> stopTokenIds = intList(json, "stop_token_ids");
    String maxField = json.containsKey("max_completion_tokens") ? "max_completion_tokens" : "max_tokens";
    Integer maxTokens = json.getValue(maxField) == null ? null : integer(json, maxField, 16, 1, 1_000_000);
    boolean logprobs;
    int topLogprobs;
    if (kind == OpenAiRequest.Kind.CHAT) {
      logprobs = bool(json, "logprobs", false);
      topLogprobs = integer(json, "top_logprobs", 0, 0, 20);
      if (topLogprobs > 0 && !logprobs) {
        throw ApiException.invalidRequest("top_logprobs", "top_logprobs needs logprobs set to true");
      }
    } else {
      Object lp = json.getValue("logprobs");
      topLogprobs = lp == null ? 0 : integer(json, "logprobs", 0, 0, 20);
      logprobs = lp != null;
    }
    boolean ignoreEos = bool(json, "ignore_eos", false);
    return new SamplingParams(temperature, topP, topK <= 0 ? 0 : topK, minP, repetition, frequency, presence,
        seed, stop, stopTokenIds, maxTokens, logprobs, topLogprobs, ignoreEos);
  }

  private static List<ChatMessage> messages(JsonObject json) {
    Object raw = json.getValue("messages");
    if (!(raw instanceof JsonArray array) || array.isEmpty()) {
      throw ApiException.invalidRequest("messages", "messages must be a non-empty array");
    }
    List<ChatMessage> messages = new ArrayList<>();
    for (int i = 0; i < array.size(); i++) {
      String field = "messages[" + i + "]";
      if (!(array.getValue(i) instanceof JsonObject m)) {
        throw ApiException.invalidRequest(field, field + " must be an object");
      }
      Object role = m.getValue("role");
      if (!(role instanceof String r) || !ROLES.contains(r)) {
        throw ApiException.invalidRequest(field + ".role", field + ".role must be one of " + ROLES);
      }
      messages.add(new ChatMessage(r, content(m.getValue("content"), field + ".content")));
    }
    return messages;
  }

  /** Content is a string, or an array of {type: text, text} parts as newer clients send. */
  private static String content(Object raw, String field) {
    if (raw instanceof String s) {
      return s;
    }
    if (raw instanceof JsonArray parts) {
      StringBuilder text = new StringBuilder();
      for (Object part : parts) {
        if (!(part instanceof JsonObject p) || !"text".equals(p.getString("type")) || !(p.getValue("text") instanceof String)) {
          throw ApiException.invalidRequest(field, field + " supports only text parts");
        }
        text.append(p.getString("text"));
      }
      return text.toString();
    }
    throw ApiException.invalidRequest(field, field + " must be a string");
  }

  private static String prompt(JsonObject json) {
    Object raw = json.getValue("prompt");
    if (raw instanceof String s) {
      return s;
    }
    if (raw instanceof JsonArray a && a.size() == 1 && a.getValue(0) instanceof String s) {
      return s;
    }
    throw ApiException.invalidRequest("prompt", "prompt must be a string");
  }

  private static List<String> stop(JsonObject json) {
    Object raw = json.getValue("stop");
    if (raw == null) {
      return List.of();
    }
    if (raw instanceof String s) {
      return s.isEmpty() ? List.of() : List.of(s);
    }
    if (raw instanceof JsonArray array && array.size() <= MAX_STOP_STRINGS) {
      List<String> out = new ArrayList<>();
      for (Object o : array) {
        if (!(o instanceof String s) || s.isEmpty()) {
          throw ApiException.invalidRequest("stop", "stop must hold non-empty strings");
        }
        out.add(s);
      }
      return out;
    }
    throw ApiException.invalidRequest("stop", "stop must be a string or an array of at most " + MAX_STOP_STRINGS + " strings");
  }

  private static List<Integer> intList(JsonObject json, String field) {
    Object raw = json.getValue(field);
    if (raw == null) {
      return List.of();
    }
    if (!(raw instanceof JsonArray array)) {
      throw ApiException.invalidRequest(field, field + " must be an array of integers");
    }
    List<Integer> out = new ArrayList<>();
    for (Object o : array) {
      if (!(o instanceof Number n) || n.doubleValue() != n.intValue() || n.intValue() < 0) {
        throw ApiException.invalidRequest(field, field + " must be an array of non-negative integers");
      }
      out.add(n.intValue());
    }
    return out;
  }

  private static String string(JsonObject json, String field, boolean required) {
    Object raw = json.getValue(field);
    if (raw == null) {
      if (required) {
        throw ApiException.invalidRequest(field, field + " is required");
      }
      return null;
    }
    if (!(raw instanceof String s)) {
      throw ApiException.invalidRequest(field, field + " must be a string");
    }
    return s;
  }

  private static boolean bool(JsonObject json, String field, boolean fallback) {
    Object raw = json.getValue(field);
    if (raw == null) {
      return fallback;
    }
    if (!(raw instanceof Boolean b)) {
      throw ApiException.invalidRequest(field, field + " must be a boolean");
    }
    return b;
  }

  private static double number(JsonObject json, String field, double fallback, double min, double max) {
    Object raw = json.getValue(field);
    if (raw == null) {
      return fallback;
    }
    if (!(raw instanceof Number n) || Double.isNaN(n.doubleValue()) || n.doubleValue() < min || n.doubleValue() > max) {
      throw ApiException.invalidRequest(field, field + " must be a number in [" + min + ", " + max + "]");
    }
    return n.doubleValue();
  }

  private static int integer(JsonObject json, String field, int fallback, int min, int max) {
    Object raw = json.getValue(field);
    if (raw == null) {
      return fallback;
    }
    if (!(raw instanceof Number n) || n.doubleValue() != Math.rint(n.doubleValue()) || n.doubleValue() < min || n.doubleValue() > max) {
      throw ApiException.invalidRequest(field, field + " must be an integer in [" + min + ", " + max + "]");
    }
    return n.intValue();
  }

  private static long longValue(JsonObject json, String field) {
    Object raw = json.getValue(field);
    if (!(raw instanceof Number n) || n.doubleValue() != Math.rint(n.doubleValue())) {
      throw ApiException.invalidRequest(field, field + " must be an integer");
    }
    return n.longValue();
  }

  /** The inverse of {@link #parse}: the body to send upstream to any OpenAI-compatible server. */
  public static JsonObject toJson(OpenAiRequest request) {
    JsonObject json = new JsonObject().put("model", request.model());
    if (request.kind() == OpenAiRequest.Kind.CHAT) {
      JsonArray messages = new JsonArray();
      request.messages().forEach(m -> messages.add(new JsonObject().put("role", m.role()).put("content", m.content())));
      json.put("messages", messages);
    } else {
      json.put("prompt", request.prompt());
    }
    json.put("stream", request.stream());
    if (request.stream() && request.includeUsage()) {
      json.put("stream_options", new JsonObject().put("include_usage", true));
    }
    SamplingParams s = request.sampling();
    json.put("temperature", s.temperature()).put("top_p", s.topP());
    if (s.topK() > 0) json.put("top_k", s.topK());
    if (s.minP() > 0) json.put("min_p", s.minP());
    if (s.repetitionPenalty() != 1) json.put("repetition_penalty", s.repetitionPenalty());
    if (s.frequencyPenalty() != 0) json.put("frequency_penalty", s.frequencyPenalty());
    if (s.presencePenalty() != 0) json.put("presence_penalty", s.presencePenalty());
    if (s.seed() != null) json.put("seed", s.seed());
    if (!s.stop().isEmpty()) json.put("stop", new JsonArray(s.stop()));
    if (!s.stopTokenIds().isEmpty()) json.put("stop_token_ids", new JsonArray(s.stopTokenIds()));
    if (s.maxTokens() != null) json.put("max_tokens", s.maxTokens());
    if (s.ignoreEos()) json.put("ignore_eos", true);
    if (request.kind() == OpenAiRequest.Kind.CHAT) {
      if (s.logprobs()) json.put("logprobs", true);
      if (s.topLogprobs() > 0) json.put("top_logprobs", s.topLogprobs());
    } else if (s.logprobs()) {
      json.put("logprobs", s.topLogprobs());
    }
    if (request.priority() != 0) json.put("priority", request.priority());
    return json;
  }
}
