package dev.twinmesh.worker.checkpoint;

import dev.twinmesh.worker.tokenizer.SpecialTokens;
import java.util.Arrays;
import java.util.Locale;

/**
 * Real architecture configurations twin-mesh can write random-weight checkpoints for. Special token
 * ids follow twin-mesh's own tokenizer (the last five ids of the vocabulary), not the original model's.
 */
public enum ModelPreset {
  /** Small enough for unit tests; keeps llama3 rope scaling so that code path runs everywhere. */
  TINY("tiny", 64, 176, 2, 4, 2, 16, 1024, 2048, 10000, llama3(4, 64), false, 1e-5),
  SMOLLM2_135M("smollm2-135m", 576, 1536, 30, 9, 3, 64, 49152, 8192, 100000, null, true, 1e-5),
  LLAMA_3_2_1B("llama-3.2-1b", 2048, 8192, 16, 32, 8, 64, 128256, 131072, 500000, llama3(32, 8192), true, 1e-5),
  LLAMA_3_1_8B("llama-3.1-8b", 4096, 14336, 32, 32, 8, 128, 128256, 131072, 500000, llama3(8, 8192), false, 1e-5);

  private final String id;
  private final ModelConfig config;

  ModelPreset(String id, int hidden, int intermediate, int layers, int heads, int kvHeads, int headDim,
              int vocab, int maxPosition, double ropeTheta, ModelConfig.RopeScaling scaling, boolean tied,
              double rmsEps) {
    this.id = id;
    this.config = new ModelConfig("LlamaForCausalLM", "llama", hidden, intermediate, layers, heads, kvHeads,
        headDim, vocab, maxPosition, rmsEps, ropeTheta, scaling, tied, false,
        SpecialTokens.bosId(vocab), SpecialTokens.eosIds(vocab), "bfloat16");
  }

  private static ModelConfig.RopeScaling llama3(double factor, int originalMaxPosition) {
    return new ModelConfig.RopeScaling("llama3", factor, 1, 4, originalMaxPosition);
  }

  /** The name used on the command line, e.g. "smollm2-135m". */
  public String id() {
    return id;
  }

  public ModelConfig config() {
    return config;
  }

  public static ModelPreset byId(String id) {
    String wanted = id.toLowerCase(Locale.ROOT);
    return Arrays.stream(values()).filter(p -> p.id.equals(wanted)).findFirst()
        .orElseThrow(() -> new IllegalArgumentException("unknown preset " + id + " (known: "
            + String.join(", ", Arrays.stream(values()).map(ModelPreset::id).toList()) + ")"));
  }
}
