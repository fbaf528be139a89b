package dev.twinmesh.worker.checkpoint;

import java.util.ArrayList;
import java.util.List;

/** The Hugging Face tensor names and [out, in] shapes of a Llama-family model, in the order transformers saves them. */
public final class LlamaTensors {
  private LlamaTensors() {}

  public static List<TensorSpec> specs(ModelConfig c, DType dtype) {
    long hidden = c.hiddenSize();
    long q = (long) c.numAttentionHeads() * c.headDim();
    long kv = (long) c.numKeyValueHeads() * c.headDim();
    long inter = c.intermediateSize();
    List<TensorSpec> specs = new ArrayList<>();
    specs.add(new TensorSpec("model.embed_tokens.weight", dtype, new long[] {c.vocabSize(), hidden}));
    for (int i = 0; i < c.numHiddenLayers(); i++) {
      String p = "model.layers." + i + ".";
      specs.add(new TensorSpec(p + "input_layernorm.weight", dtype, new long[] {hidden}));
      specs.add(new TensorSpec(p + "mlp.down_proj.weight", dtype, new long[] {hidden, inter}));
      specs.add(new TensorSpec(p + "mlp.gate_proj.weight", dtype, new long[] {inter, hidden}));
      specs.add(new TensorSpec(p + "mlp.up_proj.weight", dtype, new long[] {inter, hidden}));
      specs.add(new TensorSpec(p + "post_attention_layernorm.weight", dtype, new long[] {hidden}));
      specs.add(new TensorSpec(p + "self_attn.k_proj.weight", dtype, new long[] {kv, hidden}));
      if (c.attentionBias()) {
        specs.add(new TensorSpec(p + "self_attn.k_proj.bias", dtype, new long[] {kv}));
      }
      specs.add(new TensorSpec(p + "self_attn.o_proj.weight", dtype, new long[] {hidden, q}));
      specs.add(new TensorSpec(p + "self_attn.q_proj.weight", dtype, new long[] {q, hidden}));
      if (c.attentionBias()) {
        specs.add(new TensorSpec(p + "self_attn.q_proj.bias", dtype, new long[] {q}));
      }
      specs.add(new TensorSpec(p + "self_attn.v_proj.weight", dtype, new long[] {kv, hidden}));
      if (c.attentionBias()) {
        specs.add(new TensorSpec(p + "self_attn.v_proj.bias", dtype, new long[] {kv}));
      }
    }
    specs.add(new TensorSpec("model.norm.weight", dtype, new long[] {hidden}));
    if (!c.tieWordEmbeddings()) {
      specs.add(new TensorSpec("lm_head.weight", dtype, new long[] {c.vocabSize(), hidden}));
    }
    return specs;
  }
}
