package dev.twinmesh.worker.tokenizer;

import com.fasterxml.jackson.databind.JsonNode;
import dev.twinmesh.worker.checkpoint.CheckpointException;
import dev.twinmesh.worker.checkpoint.JsonFiles;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Token id to the bytes it stands for, read from tokenizer.json alone. Works on bytes rather than
 * strings because one token may hold only part of a UTF-8 character; the incremental detokenizer
 * needs to see exactly that.
 *
 * <p>Two vocabularies occur among Llama-family checkpoints: byte-level BPE (Llama 3, Qwen2, SmolLM2),
 * whose tokens spell bytes in GPT-2's alphabet, and SentencePiece-style BPE (Llama 2, Mistral), whose
 * tokens use '▁' for a space and {@code <0xNN>} for raw bytes.
 */
public final class TokenDecoder {
  private static final Pattern BYTE_TOKEN = Pattern.compile("<0x([0-9A-Fa-f]{2})>");
  private static final byte[] NONE = new byte[0];

  private final byte[][] bytesById;
  private final boolean[] special;
  private final Map<String, Integer> idByToken;
  private final boolean byteLevel;
  private final boolean stripsLeadingSpace;

  private TokenDecoder(byte[][] bytesById, boolean[] special, Map<String, Integer> idByToken, boolean byteLevel,
                       boolean stripsLeadingSpace) {
    this.bytesById = bytesById;
    this.special = special;
    this.idByToken = idByToken;
    this.byteLevel = byteLevel;
    this.stripsLeadingSpace = stripsLeadingSpace;
  }

  public static TokenDecoder load(Path tokenizerJson) {
    return fromJson(JsonFiles.read(tokenizerJson), tokenizerJson);
  }

  static TokenDecoder fromJson(JsonNode root, Path source) {
    JsonNode model = root.get("model");
    if (model == null || !model.isObject()) {
      throw new CheckpointException(source, "missing field model");
    }
    Map<String, Integer> ids = new HashMap<>();
    readVocab(model.get("vocab"), ids, source);
    Map<Integer, Boolean> added = new HashMap<>();
    JsonNode addedTokens = root.get("added_tokens");
    if (addedTokens != null) {
      for (JsonNode token : addedTokens) {
        ids.put(token.get("content").asText(), token.get("id").asInt());
        added.put(token.get("id").asInt(), token.path("special").asBoolean(false));
      }
    }
    boolean byteLevel = mentions(root.get("decoder"), "ByteLevel")
        || root.path("decoder").isNull() && mentions(root.get("pre_tokenizer"), "ByteLevel");
    int size = ids.values().stream().mapToInt(Integer::intValue).max().orElse(-1) + 1;
    byte[][] bytes = new byte[size][];
    boolean[] special = new boolean[size];
    ids.forEach((token, id) -> {
      boolean isAdded = added.containsKey(id);
      special[id] = isAdded && added.get(id);
      bytes[id] = isAdded ? token.getBytes(StandardCharsets.UTF_8)
          : byteLevel ? byteLevelBytes(token) : sentencePieceBytes(token);
    });
    for (int id = 0; id < size; id++) {
      if (bytes[id] == null) {
        bytes[id] = NONE;
      }
    }
    return new TokenDecoder(bytes, special, Map.copyOf(ids), byteLevel, !byteLevel && stripsSpace(root.get("decoder")));
  }

  private static void readVocab(JsonNode vocab, Map<String, Integer> ids, Path source) {
    if (vocab == null) {
      throw new CheckpointException(source, "missing field model.vocab");
    }
    if (vocab.isObject()) {
      vocab.fields().forEachRemaining(e -> ids.put(e.getKey(), e.getValue().asInt()));
    } else if (vocab.isArray()) {
      // Unigram models list [piece, score] pairs; the position is the id
      for (int id = 0; id < vocab.size(); id++) {
        ids.put(vocab.get(id).get(0).asText(), id);
      }
    } else {
      throw new CheckpointException(source, "field model.vocab is neither an object nor a list");
    }
  }

  /** True when the JSON subtree holds a component of this type anywhere (decoders nest in Sequences). */
  private static boolean mentions(JsonNode node, String type) {
    if (node == null || node.isNull()) {
      return false;
    }
    if (node.isObject() && type.equals(node.path("type").asText())) {
      return true;
    }
    for (JsonNode child : node) {
      if (mentions(child, type)) {
        return true;
      }
    }
    return false;
  }

  /** Llama 2's decoder strips the space its normalizer prepended; Metaspace drops it when it added one. */
  private static boolean stripsSpace(JsonNode decoder) {
    if (decoder == null || decoder.isNull()) {
      return false;
    }
    if (decoder.isObject()) {
      String type = decoder.path("type").asText();
      if (type.equals("Strip") && decoder.path("start").asInt(0) > 0) {
        return true;
      }
      if (type.equals("Metaspace")) {
        return decoder.path("add_prefix_space").asBoolean(false)
            || decoder.has("prepend_scheme") && !decoder.path("prepend_scheme").asText().equals("never");
      }
    }
    for (JsonNode child : decoder) {
      if (stripsSpace(child)) {
        return true;
      }
    }
    return false;
  }

  private static byte[] byteLevelBytes(String token) {
    byte[] out = new byte[token.length() * 3];
    int n = 0;
    for (int i = 0; i < token.length(); i++) {
      char c = token.charAt(i);
      int b = ByteLevelAlphabet.byteOf(c);
      if (b >= 0) {
        out[n++] = (byte) b;
      } else {
        // not in the byte alphabet: the character stands for itself
        for (byte raw : String.valueOf(c).getBytes(StandardCharsets.UTF_8)) {
          out[n++] = raw;
        }
      }
    }
    return java.util.Arrays.copyOf(out, n);
  }

  private static byte[] sentencePieceBytes(String token) {
    Matcher m = BYTE_TOKEN.matcher(token);
    if (m.matches()) {
      return new byte[] {(byte) Integer.parseInt(m.group(1), 16)};
    }
    return token.replace('\u2581', ' ').getBytes(StandardCharsets.UTF_8);
  }

  /** One more than the highest id, counting added tokens. */
  public int vocabSize() {
    return bytesById.length;
  }

  public boolean isSpecial(int id) {
    return id >= 0 && id < special.length && special[id];
  }

  /** The bytes a token contributes; special tokens give their own text unless skipped. */
  public byte[] bytes(int id, boolean skipSpecial) {
    if (id < 0 || id >= bytesById.length) {
      throw new IllegalArgumentException("token id " + id + " outside the vocabulary of " + bytesById.length);
    }
    return skipSpecial && special[id] ? NONE : bytesById[id];
  }

  /** The id of a token as written in the vocabulary or added tokens, or -1. */
  public int idOf(String token) {
    Integer id = idByToken.get(token);
    return id == null ? -1 : id;
  }

  public boolean byteLevel() {
    return byteLevel;
  }

  /** SentencePiece tokenizers mark a word start with a space; the text's first one is not part of it. */
  public boolean stripsLeadingSpace() {
    return stripsLeadingSpace;
  }

  /** Decodes a whole sequence at once; invalid UTF-8 becomes U+FFFD. */
  public String decode(int[] ids, boolean skipSpecial) {
    IncrementalDetokenizer detokenizer = new IncrementalDetokenizer(this, skipSpecial);
    StringBuilder text = new StringBuilder();
    for (int id : ids) {
      text.append(detokenizer.push(id));
    }
    return text.append(detokenizer.flush()).toString();
  }
}
