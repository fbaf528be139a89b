package dev.twinmesh.rag;

import dev.twinmesh.common.TraceRecord;
import java.util.List;

/** What retrieval found for one question: chunk texts in rank order and their trace entries. */
public record RetrievedContext(List<String> texts, List<TraceRecord.RetrievedChunk> chunks) {
  public static final RetrievedContext EMPTY = new RetrievedContext(List.of(), List.of());

  public boolean isEmpty() {
    return texts.isEmpty();
  }
}
