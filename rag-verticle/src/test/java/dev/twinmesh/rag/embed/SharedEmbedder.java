package dev.twinmesh.rag.embed;

/** One bge-small model of each export per test JVM: loading one costs a second or two, so every test shares it. */
public final class SharedEmbedder {
  private static BgeSmallEmbedder int8;
  private static BgeSmallEmbedder fp32;

  private SharedEmbedder() {}

  /** The default export, int8: what the mesh runs. */
  public static synchronized Embedder get() {
    if (int8 == null) {
      int8 = BgeSmallEmbedder.load(BgeSmallModel.INT8, 2);
    }
    return int8;
  }

  /** The fp32 export, for the tests that compare with it. */
  public static synchronized Embedder fp32() {
    if (fp32 == null) {
      fp32 = BgeSmallEmbedder.load(BgeSmallModel.FP32, 2);
    }
    return fp32;
  }
}
