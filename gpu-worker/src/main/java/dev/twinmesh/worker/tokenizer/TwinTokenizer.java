package dev.twinmesh.worker.tokenizer;

import ai.djl.huggingface.tokenizers.Encoding;
import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import com.fasterxml.jackson.databind.JsonNode;
import dev.twinmesh.worker.checkpoint.CheckpointException;
import dev.twinmesh.worker.checkpoint.JsonFiles;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * A checkpoint's tokenizer: Hugging Face's own implementation (through DJL) for encoding, so prompts
 * split exactly as the model was trained, and {@link TokenDecoder} for the byte-exact, streaming side.
 * Special tokens are never added implicitly: chat templates put bos where the model expects it.
 */
public final class TwinTokenizer implements AutoCloseable {
  private final HuggingFaceTokenizer tokenizer;
  private final TokenDecoder decoder;
  private final Integer bosId;
  private final List<Integer> eosIds;

  private TwinTokenizer(HuggingFaceTokenizer tokenizer, TokenDecoder decoder, Integer bosId, List<Integer> eosIds) {
    this.tokenizer = tokenizer;
    this.decoder = decoder;
    this.bosId = bosId;
    this.eosIds = eosIds;
  }

  /** Loads {@code tokenizer.json} from a checkpoint directory; bos and eos come from the config files beside it. */
  public static TwinTokenizer load(Path dir) {
    Path file = dir.resolve(TokenizerFiles.TOKENIZER_JSON);
    TokenDecoder decoder = TokenDecoder.load(file);
    HuggingFaceTokenizer tokenizer;
    try {
      tokenizer = HuggingFaceTokenizer.builder()
          .optTokenizerPath(file)
          .optAddSpecialTokens(false)
          // DJL cuts every input at 512 tokens by default; prompts are budgeted elsewhere
          .optTruncation(false)
          .optPadding(false)
          .build();
    } catch (IOException | RuntimeException e) {
      throw new CheckpointException(file, "cannot load tokenizer: " + e.getMessage(), e);
    }
    SpecialTokenIds ids = SpecialTokenIds.read(dir, decoder);
    return new TwinTokenizer(tokenizer, decoder, ids.bos(), ids.eos());
  }

  /** Token ids of a text; special-token strings inside it (e.g. "<|eot_id|>") become their ids. */
  public int[] encode(String text) {
    Encoding encoding = tokenizer.encode(text, false, false);
    long[] ids = encoding.getIds();
    int[] out = new int[ids.length];
    for (int i = 0; i < ids.length; i++) {
      out[i] = Math.toIntExact(ids[i]);
    }
    return out;
  }

  /** The text of a sequence, special tokens included. */
  public String decode(int[] ids) {
    return decode(ids, false);
  }

  public String decode(int[] ids, boolean skipSpecialTokens) {
    long[] wide = new long[ids.length];
    for (int i = 0; i < ids.length; i++) {
      wide[i] = ids[i];
    }
    return tokenizer.decode(wide, skipSpecialTokens);
  }

  /** A fresh streaming detokenizer for one generated sequence. */
  public IncrementalDetokenizer newDetokenizer(boolean skipSpecialTokens) {
    return new IncrementalDetokenizer(decoder, skipSpecialTokens);
  }

  public TokenDecoder tokenDecoder() {
    return decoder;
  }

  /** The beginning-of-sequence id, or null when the tokenizer has none (Qwen2). */
  public Integer bosId() {
    return bosId;
  }

  /** Every id at which generation stops, e.g. [end_of_text, eot_id]. */
  public List<Integer> eosIds() {
    return eosIds;
  }

  public int vocabSize() {
    return decoder.vocabSize();
  }

  @Override
  public void close() {
    tokenizer.close();
  }

  /**
   * bos and eos as the model uses them. Checkpoints spread these over three files and disagree on
   * which is authoritative, so eos is the union of generation_config.json, config.json and
   * tokenizer_config.json, in that order.
   */
  record SpecialTokenIds(Integer bos, List<Integer> eos) {
    static SpecialTokenIds read(Path dir, TokenDecoder decoder) {
      JsonNode tokenizerConfig = optional(dir.resolve(TokenizerFiles.TOKENIZER_CONFIG));
      JsonNode generation = optional(dir.resolve("generation_config.json"));
      JsonNode config = optional(dir.resolve("config.json"));
      Integer bos = tokenId(tokenizerConfig.get("bos_token"), decoder);
      if (bos == null && config.hasNonNull("bos_token_id")) {
        bos = config.get("bos_token_id").asInt();
      }
      Set<Integer> eos = new LinkedHashSet<>();
      eos.addAll(ints(generation.get("eos_token_id")));
      eos.addAll(ints(config.get("eos_token_id")));
      Integer fromTokenizer = tokenId(tokenizerConfig.get("eos_token"), decoder);
      if (fromTokenizer != null) {
        eos.add(fromTokenizer);
      }
      return new SpecialTokenIds(bos, List.copyOf(eos));
    }

    private static JsonNode optional(Path file) {
      return Files.isRegularFile(file) ? JsonFiles.read(file) : JsonFiles.MAPPER.createObjectNode();
    }

    /** tokenizer_config.json writes a special token as a string or as {"content": ...}. */
    private static Integer tokenId(JsonNode token, TokenDecoder decoder) {
      if (token == null || token.isNull()) {
        return null;
      }
      String content = token.isObject() ? token.path("content").asText(null) : token.asText();
      int id = content == null ? -1 : decoder.idOf(content);
      return id < 0 ? null : id;
    }

    private static List<Integer> ints(JsonNode node) {
      List<Integer> out = new ArrayList<>();
      if (node == null || node.isNull()) {
        return out;
      }
      if (node.isArray()) {
        node.forEach(n -> out.add(n.asInt()));
      } else {
        out.add(node.asInt());
      }
      return out;
    }
  }
}
