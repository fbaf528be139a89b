package dev.twinmesh.rag.embed;

/** One bge-small model per test JVM: loading it costs a second and 130 MB, so every test shares it. */
public final class SharedEmbedder {
  private static BgeSmallEmbedder instance;

  private SharedEmbedder() {}

  public static synchronized Embedder get() {
    if (instance == null) {
      instance = BgeSmallEmbedder.load(2);
    }
    return instance;
  }
}
