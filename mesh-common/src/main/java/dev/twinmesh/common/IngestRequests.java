package dev.twinmesh.common;

import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Parses and validates {@code POST /v1/ingest} bodies. Only the shape is checked here; cleaning, chunking and
 * embedding happen on the rag side. Every rejection is a 400 that names the field.
 */
public final class IngestRequests {
  /** Documents in one request: a client sends more in several requests, each answered within seconds. */
  public static final int MAX_DOCUMENTS = 1_000;
  private static final int MAX_NAME_CHARS = 200;
  private static final int MAX_SOURCE_CHARS = 2_000;

  private IngestRequests() {}

  public static IngestRequest parse(String body) {
    JsonObject json;
    try {
      json = new JsonObject(body == null ? "" : body);
    } catch (DecodeException | ClassCastException e) {
      throw ApiException.invalidRequest(null, "request body is not a JSON object");
    }
    return parse(json);
  }

  public static IngestRequest parse(JsonObject json) {
    String author = text(json, "author", true, MAX_NAME_CHARS);
    String authorName = text(json, "author_name", false, MAX_NAME_CHARS);
    List<String> aliases = aliases(json);
    String type = type(json);
    return new IngestRequest(author, authorName, aliases, type, documents(json));
  }

  /** {@code post}, {@code article} or {@code repository}; the collection names (plurals) are accepted too. */
  private static String type(JsonObject json) {
    String raw = text(json, "type", true, 40).toLowerCase(Locale.ROOT);
    String singular = raw.endsWith("ies") ? raw.substring(0, raw.length() - 3) + "y"
        : raw.endsWith("s") ? raw.substring(0, raw.length() - 1) : raw;
    if (!IngestRequest.TYPES.contains(singular)) {
      throw ApiException.invalidRequest("type", "type must be one of " + IngestRequest.TYPES + ", not '" + raw + "'");
    }
    return singular;
  }

  private static List<String> aliases(JsonObject json) {
    Object raw = json.getValue("author_aliases");
    if (raw == null) {
      return List.of();
    }
    if (!(raw instanceof JsonArray array) || array.size() > 20) {
      throw ApiException.invalidRequest("author_aliases", "author_aliases must be an array of at most 20 names");
    }
    List<String> aliases = new ArrayList<>();
    for (int i = 0; i < array.size(); i++) {
      if (!(array.getValue(i) instanceof String alias) || alias.isBlank() || alias.length() > MAX_NAME_CHARS) {
        throw ApiException.invalidRequest("author_aliases[" + i + "]", "every alias must be a non-empty string");
      }
      aliases.add(alias.strip());
    }
    return aliases;
  }

  private static List<IngestRequest.Document> documents(JsonObject json) {
    Object raw = json.getValue("documents");
    if (!(raw instanceof JsonArray array)) {
      throw ApiException.invalidRequest("documents", raw == null ? "documents is required: an array of "
          + "{source, content, format}" : "documents must be an array of {source, content, format}");
    }
    if (array.isEmpty() || array.size() > MAX_DOCUMENTS) {
      throw ApiException.invalidRequest("documents", "documents must hold 1 to " + MAX_DOCUMENTS + " items, not "
          + array.size());
    }
    List<IngestRequest.Document> documents = new ArrayList<>(array.size());
    for (int i = 0; i < array.size(); i++) {
      String field = "documents[" + i + "]";
      if (!(array.getValue(i) instanceof JsonObject doc)) {
        throw ApiException.invalidRequest(field, field + " must be an object {source, content, format}");
      }
      String source = text(doc, "source", true, MAX_SOURCE_CHARS, field + ".source");
      Object content = doc.getValue("content");
      if (!(content instanceof String text)) {
        throw ApiException.invalidRequest(field + ".content", field + ".content must be a string");
      }
      String format = text(doc, "format", false, 20, field + ".format");
      if (format != null) {
        format = format.toLowerCase(Locale.ROOT);
        if (!IngestRequest.FORMATS.contains(format)) {
          throw ApiException.invalidRequest(field + ".format", field + ".format must be one of "
              + IngestRequest.FORMATS + ", not '" + format + "'");
        }
      }
      documents.add(new IngestRequest.Document(source, text, format));
    }
    return documents;
  }

  private static String text(JsonObject json, String field, boolean required, int maxChars) {
    return text(json, field, required, maxChars, field);
  }

  private static String text(JsonObject json, String key, boolean required, int maxChars, String field) {
    Object value = json.getValue(key);
    if (value == null) {
      if (required) {
        throw ApiException.invalidRequest(field, field + " is required");
      }
      return null;
    }
    if (!(value instanceof String s) || s.isBlank()) {
      throw ApiException.invalidRequest(field, field + " must be a non-empty string");
    }
    if (s.length() > maxChars) {
      throw ApiException.invalidRequest(field, field + " is longer than " + maxChars + " characters");
    }
    return s.strip();
  }
}
