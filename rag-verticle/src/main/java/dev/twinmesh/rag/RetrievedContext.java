package dev.twinmesh.rag;

import dev.twinmesh.common.TraceRecord;
import java.util.List;
import java.util.Map;

/**
 * What retrieval found for one question: chunk texts in rank order and their trace entries, and how it
 * got there: the author it searched for (null: every author), the queries it searched with, and the
 * milliseconds each step took.
 */
public record RetrievedContext(List<String> texts, List<TraceRecord.RetrievedChunk> chunks, String author,
                               List<String> queries, Map<String, Long> timingsMs) {
  public static final RetrievedContext EMPTY = new RetrievedContext(List.of(), List.of());

  public RetrievedContext {
    texts = List.copyOf(texts);
    chunks = List.copyOf(chunks);
    queries = queries == null ? List.of() : List.copyOf(queries);
    timingsMs = timingsMs == null ? Map.of() : timingsMs;
  }

  public RetrievedContext(List<String> texts, List<TraceRecord.RetrievedChunk> chunks) {
    this(texts, chunks, null, List.of(), Map.of());
  }

  /** Nothing found for this author and these queries. */
  public static RetrievedContext none(String author, List<String> queries, Map<String, Long> timingsMs) {
    return new RetrievedContext(List.of(), List.of(), author, queries, timingsMs);
  }

  public boolean isEmpty() {
    return texts.isEmpty();
  }
}
