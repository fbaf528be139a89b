package dev.twinmesh.monitoring;

import dev.twinmesh.common.ApiException;
import io.vertx.core.MultiMap;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeParseException;

/**
 * The filters of {@code GET /api/traces} and {@code GET /api/stats}: exact matches on author, model and
 * status; a time range on the gateway's receive time ({@code from} inclusive, {@code to} exclusive, as
 * ISO-8601 or epoch milliseconds); {@code min_latency_ms} (total latency above it); {@code q}, a
 * case-insensitive text search in the prompt, the messages sent and the answer. Newest first.
 */
record TraceQuery(int limit, String author, String model, String status, OffsetDateTime from, OffsetDateTime to,
                  Long minLatencyMs, String text) {
  static final int DEFAULT_LIMIT = 50;
  static final int MAX_LIMIT = 500;

  /** The first filters, kept for callers that need no more. */
  TraceQuery(int limit, String author, String model, String status) {
    this(limit, author, model, status, null, null, null, null);
  }

  /** Reads and validates query parameters; a limit above the maximum is lowered to it. */
  static TraceQuery from(MultiMap params) {
    OffsetDateTime from = time(params.get("from"), "from");
    OffsetDateTime to = time(params.get("to"), "to");
    if (from != null && to != null && !from.isBefore(to)) {
      throw ApiException.invalidRequest("from", "from must be before to");
    }
    return new TraceQuery(limit(params.get("limit")), blankToNull(params.get("author")),
        blankToNull(params.get("model")), blankToNull(params.get("status")), from, to,
        minLatency(params.get("min_latency_ms")), blankToNull(params.get("q")));
  }

  /** {@code q} as an ILIKE pattern: its own %, _ and backslash match literally. */
  String textPattern() {
    if (text == null) {
      return null;
    }
    return "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%";
  }

  private static int limit(String value) {
    if (value == null || value.isBlank()) {
      return DEFAULT_LIMIT;
    }
    int limit;
    try {
      limit = Integer.parseInt(value.strip());
    } catch (NumberFormatException e) {
      throw ApiException.invalidRequest("limit", "limit must be an integer, got '" + value + "'");
    }
    if (limit < 1) {
      throw ApiException.invalidRequest("limit", "limit must be at least 1, got " + limit);
    }
    return Math.min(limit, MAX_LIMIT);
  }

  private static Long minLatency(String value) {
    if (value == null || value.isBlank()) {
      return null;
    }
    try {
      long ms = Long.parseLong(value.strip());
      if (ms < 0) {
        throw ApiException.invalidRequest("min_latency_ms", "min_latency_ms must not be negative");
      }
      return ms;
    } catch (NumberFormatException e) {
      throw ApiException.invalidRequest("min_latency_ms", "min_latency_ms must be an integer, got '" + value + "'");
    }
  }

  /** ISO-8601 with an offset, a local date-time taken as UTC (what a datetime-local input sends), or epoch ms. */
  static OffsetDateTime time(String value, String param) {
    if (value == null || value.isBlank()) {
      return null;
    }
    String v = value.strip();
    try {
      if (v.chars().allMatch(Character::isDigit)) {
        return OffsetDateTime.ofInstant(Instant.ofEpochMilli(Long.parseLong(v)), ZoneOffset.UTC);
      }
      try {
        return OffsetDateTime.parse(v);
      } catch (DateTimeParseException e) {
        return LocalDateTime.parse(v).atOffset(ZoneOffset.UTC);
      }
    } catch (DateTimeParseException | NumberFormatException e) {
      throw ApiException.invalidRequest(param, param + " must be ISO-8601 (2026-01-31T12:00:00Z) or epoch milliseconds, got '" + value + "'");
    }
  }

  private static String blankToNull(String value) {
    return value == null || value.isBlank() ? null : value;
  }
}
