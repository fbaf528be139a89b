package dev.twinmesh.worker.checkpoint;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.NullNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Path;

/**
 * config.json's rope_scaling. Only Llama 3's frequency scaling changes twin-mesh's rotary embedding;
 * any other kind is refused rather than silently ignored, since ignoring it would corrupt long contexts.
 */
final class RopeScalings {
  static final String LLAMA3 = "llama3";

  private RopeScalings() {}

  static ModelConfig.RopeScaling parse(JsonNode node, Path file) {
    if (node == null || node.isNull()) {
      return null;
    }
    if (!node.isObject()) {
      throw new CheckpointException(file, "field rope_scaling must be an object or null");
    }
    // transformers renamed "type" to "rope_type"; checkpoints in the wild carry either
    JsonNode typeNode = node.hasNonNull("rope_type") ? node.get("rope_type") : node.get("type");
    String type = typeNode == null || typeNode.isNull() ? null : typeNode.asText();
    if (type == null || type.equals("default")) {
      return null;
    }
    if (!type.equals(LLAMA3)) {
      throw new CheckpointException(file, "field rope_scaling: type " + type
          + " is not supported (supported: " + LLAMA3 + ", default)");
    }
    return new ModelConfig.RopeScaling(LLAMA3,
        number(node, "factor", file),
        number(node, "low_freq_factor", file),
        number(node, "high_freq_factor", file),
        (int) number(node, "original_max_position_embeddings", file));
  }

  private static double number(JsonNode node, String field, Path file) {
    JsonNode v = node.get(field);
    if (v == null || !v.isNumber()) {
      throw new CheckpointException(file, "missing field rope_scaling." + field);
    }
    return v.asDouble();
  }

  static JsonNode toJson(ModelConfig.RopeScaling scaling) {
    if (scaling == null) {
      return NullNode.getInstance();
    }
    ObjectNode o = JsonFiles.MAPPER.createObjectNode();
    o.put("factor", scaling.factor());
    o.put("high_freq_factor", scaling.highFreqFactor());
    o.put("low_freq_factor", scaling.lowFreqFactor());
    o.put("original_max_position_embeddings", scaling.originalMaxPositionEmbeddings());
    o.put("rope_type", scaling.type());
    return o;
  }
}
