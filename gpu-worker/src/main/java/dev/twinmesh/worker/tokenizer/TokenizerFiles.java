package dev.twinmesh.worker.tokenizer;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.twinmesh.worker.checkpoint.JsonFiles;
import java.nio.file.Path;
import java.util.List;

/**
 * Writes twin-mesh's byte-level BPE as the three files a Hugging Face checkpoint carries:
 * tokenizer.json (the fast tokenizer), tokenizer_config.json (chat template, specials) and
 * special_tokens_map.json.
 */
public final class TokenizerFiles {
  public static final String TOKENIZER_JSON = "tokenizer.json";
  public static final String TOKENIZER_CONFIG = "tokenizer_config.json";
  public static final String SPECIAL_TOKENS_MAP = "special_tokens_map.json";

  /**
   * Llama 3 style turns: a header with the role, a blank line, the trimmed content, an end-of-turn
   * token. The '\n' escapes are for Jinja, which turns them into newlines when it parses the string.
   */
  public static final String CHAT_TEMPLATE = String.join("",
      "{{- bos_token }}",
      "{%- for message in messages %}",
      "{{- '<|start_header_id|>' + message['role'] + '<|end_header_id|>\\n\\n' }}",
      "{{- message['content'] | trim }}",
      "{{- '<|eot_id|>' }}",
      "{%- endfor %}",
      "{%- if add_generation_prompt %}",
      "{{- '<|start_header_id|>assistant<|end_header_id|>\\n\\n' }}",
      "{%- endif %}");

  private TokenizerFiles() {}

  public static void write(Path dir, ByteLevelBpe bpe, int modelMaxLength) {
    JsonFiles.write(dir.resolve(TOKENIZER_JSON), tokenizerJson(bpe));
    JsonFiles.write(dir.resolve(TOKENIZER_CONFIG), tokenizerConfig(bpe, modelMaxLength));
    JsonFiles.write(dir.resolve(SPECIAL_TOKENS_MAP), specialTokensMap());
  }

  static ObjectNode tokenizerJson(ByteLevelBpe bpe) {
    ObjectNode root = JsonFiles.MAPPER.createObjectNode();
    root.put("version", "1.0");
    root.putNull("truncation");
    root.putNull("padding");
    ArrayNode added = root.putArray("added_tokens");
    for (int i = 0; i < bpe.specials().size(); i++) {
      ObjectNode token = added.addObject();
      token.put("id", bpe.tokens().size() + i);
      token.put("content", bpe.specials().get(i));
      token.put("single_word", false);
      token.put("lstrip", false);
      token.put("rstrip", false);
      token.put("normalized", false);
      token.put("special", true);
    }
    root.putNull("normalizer");
    root.set("pre_tokenizer", byteLevel(false, true));
    root.set("post_processor", byteLevel(true, false));
    root.set("decoder", byteLevel(true, true));
    root.set("model", bpeModel(bpe));
    return root;
  }

  private static ObjectNode byteLevel(boolean addPrefixSpace, boolean trimOffsets) {
    ObjectNode node = JsonFiles.MAPPER.createObjectNode();
    node.put("type", "ByteLevel");
    node.put("add_prefix_space", addPrefixSpace);
    node.put("trim_offsets", trimOffsets);
    node.put("use_regex", true);
    return node;
  }

  private static ObjectNode bpeModel(ByteLevelBpe bpe) {
    ObjectNode model = JsonFiles.MAPPER.createObjectNode();
    model.put("type", "BPE");
    model.putNull("dropout");
    model.putNull("unk_token");
    model.putNull("continuing_subword_prefix");
    model.putNull("end_of_word_suffix");
    model.put("fuse_unk", false);
    model.put("byte_fallback", false);
    ObjectNode vocab = model.putObject("vocab");
    List<String> tokens = bpe.tokens();
    for (int id = 0; id < tokens.size(); id++) {
      vocab.put(tokens.get(id), id);
    }
    // "left right" strings: the merges format every tokenizers release reads; byte-level tokens never hold a space
    ArrayNode merges = model.putArray("merges");
    bpe.merges().forEach(m -> merges.add(m.left() + " " + m.right()));
    return model;
  }

  static ObjectNode tokenizerConfig(ByteLevelBpe bpe, int modelMaxLength) {
    ObjectNode config = JsonFiles.MAPPER.createObjectNode();
    config.put("add_bos_token", false);
    config.put("add_eos_token", false);
    ObjectNode decoder = config.putObject("added_tokens_decoder");
    for (int i = 0; i < bpe.specials().size(); i++) {
      ObjectNode token = decoder.putObject(String.valueOf(bpe.tokens().size() + i));
      token.put("content", bpe.specials().get(i));
      token.put("lstrip", false);
      token.put("normalized", false);
      token.put("rstrip", false);
      token.put("single_word", false);
      token.put("special", true);
    }
    config.put("bos_token", SpecialTokens.BEGIN_OF_TEXT);
    config.put("chat_template", CHAT_TEMPLATE);
    config.put("clean_up_tokenization_spaces", true);
    // a chat checkpoint: a turn ends with <|eot_id|>; <|end_of_text|> stays an eos id in generation_config
    config.put("eos_token", SpecialTokens.EOT);
    ArrayNode inputs = config.putArray("model_input_names");
    inputs.add("input_ids").add("attention_mask");
    config.put("model_max_length", modelMaxLength);
    config.put("tokenizer_class", "PreTrainedTokenizerFast");
    return config;
  }

  static ObjectNode specialTokensMap() {
    ObjectNode map = JsonFiles.MAPPER.createObjectNode();
    map.set("bos_token", addedToken(SpecialTokens.BEGIN_OF_TEXT));
    map.set("eos_token", addedToken(SpecialTokens.EOT));
    return map;
  }

  private static ObjectNode addedToken(String content) {
    ObjectNode token = JsonFiles.MAPPER.createObjectNode();
    token.put("content", content);
    token.put("lstrip", false);
    token.put("normalized", false);
    token.put("rstrip", false);
    token.put("single_word", false);
    return token;
  }
}
