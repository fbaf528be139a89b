package dev.twinmesh.worker.checkpoint;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ModelConfigsTest {
  @TempDir Path dir;

  @Test
  void smollm2ConfigJsonHasTheRealArchitecture() throws IOException {
    Files.writeString(dir.resolve("config.json"), ModelConfigs.toJson(ModelPreset.SMOLLM2_135M.config()));
    JsonNode json = JsonFiles.read(dir.resolve("config.json"));
    assertEquals("LlamaForCausalLM", json.get("architectures").get(0).asText());
    assertEquals("llama", json.get("model_type").asText());
    assertEquals(576, json.get("hidden_size").asInt());
    assertEquals(1536, json.get("intermediate_size").asInt());
    assertEquals(30, json.get("num_hidden_layers").asInt());
    assertEquals(9, json.get("num_attention_heads").asInt());
    assertEquals(3, json.get("num_key_value_heads").asInt());
    assertEquals(64, json.get("head_dim").asInt());
    assertEquals(49152, json.get("vocab_size").asInt());
    assertEquals(8192, json.get("max_position_embeddings").asInt());
    assertEquals(100000.0, json.get("rope_theta").asDouble());
    assertTrue(json.get("rope_scaling").isNull());
    assertTrue(json.get("tie_word_embeddings").asBoolean());
    assertEquals(1e-5, json.get("rms_norm_eps").asDouble());
    assertEquals("silu", json.get("hidden_act").asText());
    assertTrue(json.has("torch_dtype"));

    ModelConfig parsed = ModelConfigs.load(dir);
    assertEquals(ModelPreset.SMOLLM2_135M.config(), parsed);
    // the published SmolLM2-135M parameter count
    assertEquals(134_515_008L, parsed.parameterCount());
  }

  @Test
  void everyPresetSurvivesToJsonAndBack() throws IOException {
    for (ModelPreset preset : ModelPreset.values()) {
      Files.writeString(dir.resolve("config.json"), ModelConfigs.toJson(preset.config()));
      assertEquals(preset.config(), ModelConfigs.load(dir), preset.id());
    }
    assertEquals(ModelPreset.LLAMA_3_1_8B, ModelPreset.byId("llama-3.1-8b"));
    assertTrue(ModelPreset.LLAMA_3_1_8B.config().parameterCount() > 8_000_000_000L);
    assertEquals(new ModelConfig.RopeScaling("llama3", 4, 1, 4, 64), ModelPreset.TINY.config().ropeScaling());
  }

  @Test
  void defaultsFillWhatTheFileLeavesOut() throws IOException {
    write("""
        {"architectures": ["LlamaForCausalLM"], "hidden_size": 128, "intermediate_size": 256,
         "num_hidden_layers": 2, "num_attention_heads": 4, "vocab_size": 300,
         "max_position_embeddings": 512, "eos_token_id": 2}""");
    ModelConfig c = ModelConfigs.load(dir);
    assertEquals(4, c.numKeyValueHeads());
    assertEquals(32, c.headDim());
    assertFalse(c.tieWordEmbeddings());
    assertFalse(c.attentionBias());
    assertEquals(10000.0, c.ropeTheta());
    assertEquals(1e-6, c.rmsNormEps());
    assertNull(c.ropeScaling());
    assertNull(c.bosTokenId());
    assertEquals(List.of(2), c.eosTokenIds());
    assertEquals("llama", c.modelType());
  }

  @Test
  void qwen2HasAttentionBiasByDefaultAndEosMayBeAList() throws IOException {
    write("""
        {"architectures": ["Qwen2ForCausalLM"], "hidden_size": 128, "intermediate_size": 256,
         "num_hidden_layers": 2, "num_attention_heads": 4, "num_key_value_heads": 2, "vocab_size": 300,
         "max_position_embeddings": 512, "bos_token_id": 1, "eos_token_id": [2, 3],
         "rope_scaling": {"type": "default"}, "tie_word_embeddings": true}""");
    ModelConfig c = ModelConfigs.load(dir);
    assertTrue(c.attentionBias());
    assertEquals(List.of(2, 3), c.eosTokenIds());
    assertEquals(1, c.bosTokenId());
    assertEquals("qwen2", c.modelType());
    assertNull(c.ropeScaling());
    assertTrue(LlamaTensors.specs(c, DType.F32).stream().anyMatch(s -> s.name().endsWith("q_proj.bias")));
  }

  @Test
  void ropeScalingIsReadFromEitherKey() throws IOException {
    ObjectNode json = (ObjectNode) JsonFiles.MAPPER.readTree(ModelConfigs.toJson(ModelPreset.LLAMA_3_2_1B.config()));
    ObjectNode scaling = (ObjectNode) json.get("rope_scaling");
    scaling.remove("rope_type");
    scaling.put("type", "llama3");
    write(json.toString());
    assertEquals(new ModelConfig.RopeScaling("llama3", 32, 1, 4, 8192), ModelConfigs.load(dir).ropeScaling());
  }

  @Test
  void unsupportedRopeScalingIsRefused() throws IOException {
    ObjectNode json = (ObjectNode) JsonFiles.MAPPER.readTree(ModelConfigs.toJson(ModelPreset.TINY.config()));
    ((ObjectNode) json.get("rope_scaling")).put("rope_type", "yarn");
    write(json.toString());
    CheckpointException e = assertThrows(CheckpointException.class, () -> ModelConfigs.load(dir));
    assertTrue(e.getMessage().contains("rope_scaling") && e.getMessage().contains("yarn"), e.getMessage());
  }

  @Test
  void missingFieldIsNamedWithTheFile() throws IOException {
    ObjectNode json = (ObjectNode) JsonFiles.MAPPER.readTree(ModelConfigs.toJson(ModelPreset.TINY.config()));
    json.remove("intermediate_size");
    write(json.toString());
    CheckpointException e = assertThrows(CheckpointException.class, () -> ModelConfigs.load(dir));
    assertTrue(e.getMessage().contains(dir.resolve("config.json").toString()), e.getMessage());
    assertTrue(e.getMessage().contains("intermediate_size"), e.getMessage());
  }

  @Test
  void unknownArchitectureListsTheSupportedOnes() throws IOException {
    ObjectNode json = (ObjectNode) JsonFiles.MAPPER.readTree(ModelConfigs.toJson(ModelPreset.TINY.config()));
    json.putArray("architectures").add("GPT2LMHeadModel");
    write(json.toString());
    CheckpointException e = assertThrows(CheckpointException.class, () -> ModelConfigs.load(dir));
    String message = e.getMessage();
    assertTrue(message.contains("config.json") && message.contains("GPT2LMHeadModel"), message);
    assertTrue(message.contains("LlamaForCausalLM") && message.contains("MistralForCausalLM")
        && message.contains("Qwen2ForCausalLM"), message);
  }

  @Test
  void wrongTypesAndMissingFileAreCheckpointErrors() throws IOException {
    assertThrows(CheckpointException.class, () -> ModelConfigs.load(dir));
    ObjectNode json = (ObjectNode) JsonFiles.MAPPER.readTree(ModelConfigs.toJson(ModelPreset.TINY.config()));
    json.put("hidden_size", "sixty-four");
    write(json.toString());
    CheckpointException e = assertThrows(CheckpointException.class, () -> ModelConfigs.load(dir));
    assertTrue(e.getMessage().contains("hidden_size"), e.getMessage());
  }

  private void write(String json) throws IOException {
    Files.writeString(dir.resolve("config.json"), json);
  }
}
