package dev.twinmesh.worker.model;

import dev.twinmesh.worker.checkpoint.ModelConfig;
import dev.twinmesh.worker.checkpoint.ModelConfig.RopeScaling;
import java.util.List;

/** Tiny configs of the supported architectures, small enough for a test to run in milliseconds. */
final class TinyConfigs {

  static final RopeScaling LLAMA3_SCALING = new RopeScaling("llama3", 4, 1, 4, 64);

  private TinyConfigs() {}

  /** Llama 3.x shape: grouped-query attention and llama3 rope scaling. */
  static ModelConfig llama3() {
    return config("LlamaForCausalLM", "llama", LLAMA3_SCALING, false, false, 10000);
  }

  static ModelConfig llama3WithoutScaling() {
    return config("LlamaForCausalLM", "llama", null, false, false, 10000);
  }

  /** Qwen2: biases on q/k/v. */
  static ModelConfig qwen2() {
    return config("Qwen2ForCausalLM", "qwen2", null, false, true, 1_000_000);
  }

  /** SmolLM / Llama 3.2 1B style: lm_head is the embedding. */
  static ModelConfig tied() {
    return config("LlamaForCausalLM", "llama", LLAMA3_SCALING, true, false, 10000);
  }

  static ModelConfig mistral() {
    return config("MistralForCausalLM", "mistral", null, false, false, 1_000_000);
  }

  private static ModelConfig config(String architecture, String type, RopeScaling scaling, boolean tied,
                                    boolean bias, double theta) {
    return new ModelConfig(architecture, type, 64, 176, 2, 4, 2, 16, 1024, 256, 1e-5, theta, scaling,
        tied, bias, 1, List.of(2), "float32");
  }
}
