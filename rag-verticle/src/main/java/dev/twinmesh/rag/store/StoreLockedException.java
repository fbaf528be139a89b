package dev.twinmesh.rag.store;

import java.nio.file.Path;

/** The embedded store's directory is held by another store: usually a running {@code twin-mesh up}. */
public final class StoreLockedException extends VectorStoreException {
  private final Path root;

  public StoreLockedException(Path root) {
    super("the vector store in " + root + " is in use by another process (or another store in this one)");
    this.root = root;
  }

  public Path root() {
    return root;
  }
}
