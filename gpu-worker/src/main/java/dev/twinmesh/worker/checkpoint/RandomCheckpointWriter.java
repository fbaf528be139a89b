package dev.twinmesh.worker.checkpoint;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.twinmesh.worker.tokenizer.ByteLevelBpe;
import dev.twinmesh.worker.tokenizer.TokenizerFiles;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Writes a complete Hugging Face checkpoint directory with random weights for a preset: the stand-in
 * for a real model wherever no weights can be downloaded (tests, `twin-mesh up` without a model).
 */
public final class RandomCheckpointWriter {
  private RandomCheckpointWriter() {}

  /**
   * @param dtype      "fp32" or "bf16"
   * @param shardBytes shard above this many bytes of tensor data; {@link CheckpointWriter#DEFAULT_SHARD_BYTES}
   *                   matches transformers
   */
  public static ModelConfig write(ModelPreset preset, Path outDir, long seed, String dtype, long shardBytes,
                                  WriteProgress progress) {
    DType type = DType.fromTorchName(dtype);
    if (type != DType.F32 && type != DType.BF16) {
      throw new IllegalArgumentException("random checkpoints are written as fp32 or bf16, not " + dtype);
    }
    ModelConfig config = withTorchDtype(preset.config(), type.torchName());
    try {
      Files.createDirectories(outDir);
      Files.writeString(outDir.resolve(ModelConfigs.FILE), ModelConfigs.toJson(config));
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write " + outDir, e);
    }
    JsonFiles.write(outDir.resolve("generation_config.json"), generationConfig(config));
    TokenizerFiles.write(outDir, ByteLevelBpe.build(config.vocabSize()), config.maxPositionEmbeddings());
    CheckpointWriter.write(outDir, LlamaTensors.specs(config, type), new RandomWeights(seed), shardBytes, progress);
    return config;
  }

  static ObjectNode generationConfig(ModelConfig config) {
    ObjectNode o = JsonFiles.MAPPER.createObjectNode();
    o.put("bos_token_id", config.bosTokenId());
    config.eosTokenIds().forEach(o.putArray("eos_token_id")::add);
    o.put("do_sample", true);
    o.put("temperature", 0.6);
    o.put("top_p", 0.9);
    o.put("transformers_version", "4.45.0");
    return o;
  }

  private static ModelConfig withTorchDtype(ModelConfig c, String torchDtype) {
    return new ModelConfig(c.architecture(), c.modelType(), c.hiddenSize(), c.intermediateSize(),
        c.numHiddenLayers(), c.numAttentionHeads(), c.numKeyValueHeads(), c.headDim(), c.vocabSize(),
        c.maxPositionEmbeddings(), c.rmsNormEps(), c.ropeTheta(), c.ropeScaling(), c.tieWordEmbeddings(),
        c.attentionBias(), c.bosTokenId(), c.eosTokenIds(), torchDtype);
  }
}
