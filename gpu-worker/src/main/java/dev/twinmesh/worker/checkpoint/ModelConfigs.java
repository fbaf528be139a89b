package dev.twinmesh.worker.checkpoint;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** Reads Hugging Face's config.json into a {@link ModelConfig}, and writes one back. */
public final class ModelConfigs {
  public static final String FILE = "config.json";

  /** Architecture to model_type, for the architectures whose forward pass twin-mesh implements. */
  public static final Map<String, String> SUPPORTED = Map.of(
      "LlamaForCausalLM", "llama",
      "MistralForCausalLM", "mistral",
      "Qwen2ForCausalLM", "qwen2");

  private ModelConfigs() {}

  public static ModelConfig load(Path dir) {
    Path file = dir.resolve(FILE);
    return parse(JsonFiles.read(file), file);
  }

  /** Parses an already-read config; {@code file} only names the source in errors. */
  public static ModelConfig parse(JsonNode json, Path file) {
    ConfigFields f = new ConfigFields(json, file);
    String architecture = architecture(json, file);
    int hidden = f.requiredInt("hidden_size");
    int heads = f.requiredInt("num_attention_heads");
    if (heads <= 0 || hidden % heads != 0 && !f.has("head_dim")) {
      throw new CheckpointException(file, "hidden_size " + hidden + " is not divisible by num_attention_heads "
          + heads + " and no head_dim is given");
    }
    int kvHeads = f.optionalInt("num_key_value_heads", heads);
    if (kvHeads <= 0 || heads % kvHeads != 0) {
      throw new CheckpointException(file, "num_attention_heads " + heads
          + " is not a multiple of num_key_value_heads " + kvHeads);
    }
    return new ModelConfig(
        architecture,
        f.optionalText("model_type", SUPPORTED.get(architecture)),
        hidden,
        f.requiredInt("intermediate_size"),
        f.requiredInt("num_hidden_layers"),
        heads,
        kvHeads,
        f.optionalInt("head_dim", hidden / heads),
        f.requiredInt("vocab_size"),
        f.requiredInt("max_position_embeddings"),
        f.optionalDouble("rms_norm_eps", 1e-6),
        f.optionalDouble("rope_theta", 10000),
        RopeScalings.parse(json.get("rope_scaling"), file),
        f.optionalBoolean("tie_word_embeddings", false),
        f.optionalBoolean("attention_bias", architecture.equals("Qwen2ForCausalLM")),
        f.has("bos_token_id") ? f.requiredInt("bos_token_id") : null,
        f.intList("eos_token_id"),
        f.optionalText("torch_dtype", f.optionalText("dtype", null)));
  }

  private static String architecture(JsonNode json, Path file) {
    JsonNode architectures = json.get("architectures");
    if (architectures == null || !architectures.isArray() || architectures.isEmpty()) {
      throw new CheckpointException(file, "missing field architectures (supported: " + supportedList() + ")");
    }
    String name = architectures.get(0).asText();
    if (!SUPPORTED.containsKey(name)) {
      throw new CheckpointException(file, "architecture " + name + " is not supported (supported: "
          + supportedList() + ")");
    }
    return name;
  }

  private static String supportedList() {
    return String.join(", ", new java.util.TreeSet<>(SUPPORTED.keySet()));
  }

  /** A config.json as Hugging Face transformers writes it, keys sorted. */
  public static String toJson(ModelConfig c) {
    ObjectNode o = JsonFiles.MAPPER.createObjectNode();
    o.putArray("architectures").add(c.architecture());
    o.put("attention_bias", c.attentionBias());
    o.put("attention_dropout", 0.0);
    if (c.bosTokenId() != null) {
      o.put("bos_token_id", c.bosTokenId());
    }
    if (c.eosTokenIds().size() == 1) {
      o.put("eos_token_id", c.eosTokenIds().get(0));
    } else if (!c.eosTokenIds().isEmpty()) {
      c.eosTokenIds().forEach(o.putArray("eos_token_id")::add);
    }
    o.put("head_dim", c.headDim());
    o.put("hidden_act", "silu");
    o.put("hidden_size", c.hiddenSize());
    o.put("initializer_range", 0.02);
    o.put("intermediate_size", c.intermediateSize());
    o.put("max_position_embeddings", c.maxPositionEmbeddings());
    o.put("mlp_bias", false);
    o.put("model_type", c.modelType() != null ? c.modelType() : SUPPORTED.get(c.architecture()));
    o.put("num_attention_heads", c.numAttentionHeads());
    o.put("num_hidden_layers", c.numHiddenLayers());
    o.put("num_key_value_heads", c.numKeyValueHeads());
    o.put("pretraining_tp", 1);
    o.put("rms_norm_eps", c.rmsNormEps());
    o.set("rope_scaling", RopeScalings.toJson(c.ropeScaling()));
    o.put("rope_theta", c.ropeTheta());
    o.put("tie_word_embeddings", c.tieWordEmbeddings());
    o.put("torch_dtype", c.torchDtype() != null ? c.torchDtype() : "float32");
    o.put("transformers_version", "4.45.0");
    o.put("use_cache", true);
    o.put("vocab_size", c.vocabSize());
    return JsonFiles.pretty(o);
  }

  /** Typed access to config.json fields; every error names the file and the field. */
  private record ConfigFields(JsonNode json, Path file) {
    boolean has(String field) {
      JsonNode v = json.get(field);
      return v != null && !v.isNull();
    }

    int requiredInt(String field) {
      if (!has(field)) {
        throw new CheckpointException(file, "missing field " + field);
      }
      return toInt(field, json.get(field));
    }

    int optionalInt(String field, int fallback) {
      return has(field) ? toInt(field, json.get(field)) : fallback;
    }

    double optionalDouble(String field, double fallback) {
      if (!has(field)) {
        return fallback;
      }
      JsonNode v = json.get(field);
      if (!v.isNumber()) {
        throw new CheckpointException(file, "field " + field + " must be a number, got " + v);
      }
      return v.asDouble();
    }

    boolean optionalBoolean(String field, boolean fallback) {
      if (!has(field)) {
        return fallback;
      }
      JsonNode v = json.get(field);
      if (!v.isBoolean()) {
        throw new CheckpointException(file, "field " + field + " must be true or false, got " + v);
      }
      return v.asBoolean();
    }

    String optionalText(String field, String fallback) {
      return has(field) ? json.get(field).asText() : fallback;
    }

    /** An id field that may be a single int or a list of ints (eos_token_id). */
    List<Integer> intList(String field) {
      List<Integer> values = new ArrayList<>();
      if (!has(field)) {
        return values;
      }
      JsonNode v = json.get(field);
      if (v.isArray()) {
        v.forEach(item -> values.add(toInt(field, item)));
      } else {
        values.add(toInt(field, v));
      }
      return values;
    }

    private int toInt(String field, JsonNode v) {
      if (!v.isIntegralNumber() || !v.canConvertToInt()) {
        throw new CheckpointException(file, "field " + field + " must be an integer, got " + v);
      }
      return v.asInt();
    }
  }
}
