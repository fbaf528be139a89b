package dev.twinmesh.app.bench;

import dev.twinmesh.worker.checkpoint.ModelConfig;

/**
 * Work per token of a Llama-family model, for turning tokens/s into FLOP/s and into the
 * memory-bandwidth bound of single-stream decoding.
 *
 * @param bytesPerValue 4 for fp32 weights (CPU), 2 for fp16 (CUDA)
 */
record ModelCost(ModelConfig config, int bytesPerValue) {

  /** Weights every decoder layer multiplies by: q, k, v, o, gate, up, down. */
  long layerMatmulParams() {
    long h = config.hiddenSize();
    long q = (long) config.numAttentionHeads() * config.headDim();
    long kv = (long) config.numKeyValueHeads() * config.headDim();
    return config.numHiddenLayers() * (h * q + 2 * h * kv + q * h + 3 * h * config.intermediateSize());
  }

  long lmHeadParams() {
    return (long) config.vocabSize() * config.hiddenSize();
  }

  /** Projections of one token through every layer (no logits). */
  double layerFlopsPerToken() {
    return 2.0 * layerMatmulParams();
  }

  double logitsFlopsPerRow() {
    return 2.0 * lmHeadParams();
  }

  /** Scores and weighted values of one query over {@code context} keys in every layer. */
  double attentionFlops(double context) {
    return 4.0 * config.numHiddenLayers() * config.numAttentionHeads() * config.headDim() * context;
  }

  /** One decode token at the given context: projections, attention and its logits row. */
  double decodeFlopsPerToken(double context) {
    return layerFlopsPerToken() + logitsFlopsPerRow() + attentionFlops(context);
  }

  /** A whole prompt of {@code tokens} in one pass: causal attention, one logits row. */
  double prefillFlops(int tokens) {
    return tokens * layerFlopsPerToken() + attentionFlops(tokens * (tokens + 1) / 2.0) + logitsFlopsPerRow();
  }

  /** Bytes one decode step of a single sequence must read: every weight matrix and the sequence's KV cache. */
  double decodeBytesPerToken(double context) {
    long kvPerPosition = 2L * config.numHiddenLayers() * config.numKeyValueHeads() * config.headDim();
    return (double) bytesPerValue * (layerMatmulParams() + lmHeadParams() + kvPerPosition * context);
  }
}
