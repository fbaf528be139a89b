package dev.twinmesh.rag;

import io.vertx.core.Future;

/** Finds the author's own writing that answers a question. */
public interface ContextRetriever {

  Future<RetrievedContext> retrieve(String question, String author);

  /** For a mesh with no vector store configured: the twin answers without context. */
  static ContextRetriever none() {
    return (question, author) -> Future.succeededFuture(RetrievedContext.EMPTY);
  }
}
