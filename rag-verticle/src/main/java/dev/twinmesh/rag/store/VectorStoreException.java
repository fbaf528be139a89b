package dev.twinmesh.rag.store;

/** A vector store could not do what was asked: unreachable, refused, or its files are damaged. */
public class VectorStoreException extends RuntimeException {
  public VectorStoreException(String message, Throwable cause) {
    super(message, cause);
  }

  public VectorStoreException(String message) {
    super(message);
  }
}
