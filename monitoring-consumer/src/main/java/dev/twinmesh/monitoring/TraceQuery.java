package dev.twinmesh.monitoring;

import dev.twinmesh.common.ApiException;
import io.vertx.core.MultiMap;

/** The filters of {@code GET /api/traces}: exact matches on author, model and status, newest first. */
record TraceQuery(int limit, String author, String model, String status) {
  static final int DEFAULT_LIMIT = 50;
  static final int MAX_LIMIT = 500;

  /** Reads and validates query parameters; a limit above the maximum is lowered to it. */
  static TraceQuery from(MultiMap params) {
    return new TraceQuery(limit(params.get("limit")), blankToNull(params.get("author")),
        blankToNull(params.get("model")), blankToNull(params.get("status")));
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

  private static String blankToNull(String value) {
    return value == null || value.isBlank() ? null : value;
  }
}
