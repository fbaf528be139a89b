package dev.twinmesh.worker.checkpoint;

import java.util.List;

/**
 * The architecture of a Llama-family checkpoint, read from Hugging Face's {@code config.json}.
 * Field names follow the JSON keys.
 *
 * @param architecture   e.g. LlamaForCausalLM, MistralForCausalLM, Qwen2ForCausalLM
 * @param headDim        hidden / heads unless the config says otherwise
 * @param attentionBias  q/k/v projections carry a bias (Qwen2)
 * @param ropeScaling    null, or Llama 3's "llama3" frequency scaling
 * @param eosTokenIds    one or more end-of-sequence ids
 */
public record ModelConfig(
    String architecture,
    String modelType,
    int hiddenSize,
    int intermediateSize,
    int numHiddenLayers,
    int numAttentionHeads,
    int numKeyValueHeads,
    int headDim,
    int vocabSize,
    int maxPositionEmbeddings,
    double rmsNormEps,
    double ropeTheta,
    RopeScaling ropeScaling,
    boolean tieWordEmbeddings,
    boolean attentionBias,
    Integer bosTokenId,
    List<Integer> eosTokenIds,
    String torchDtype) {

  /** Llama 3.1's rope scaling ("rope_type": "llama3"). */
  public record RopeScaling(String type, double factor, double lowFreqFactor, double highFreqFactor,
                            int originalMaxPositionEmbeddings) {}

  public ModelConfig {
    eosTokenIds = eosTokenIds == null ? List.of() : List.copyOf(eosTokenIds);
  }

  /** Query heads per key/value head (grouped-query attention). */
  public int queriesPerKv() {
    return numAttentionHeads / numKeyValueHeads;
  }

  public long parameterCount() {
    long h = hiddenSize;
    long kv = (long) numKeyValueHeads * headDim;
    long q = (long) numAttentionHeads * headDim;
    long perLayer = h * q + 2 * h * kv + q * h + 3 * h * intermediateSize + 2 * h;
    long embeddings = (long) vocabSize * h * (tieWordEmbeddings ? 1 : 2);
    return perLayer * numHiddenLayers + embeddings + h;
  }
}
