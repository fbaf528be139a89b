package dev.twinmesh.worker.tokenizer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.twinmesh.worker.checkpoint.JsonFiles;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Tokenizer layouts of checkpoints twin-mesh did not write: Llama 2 / Mistral SentencePiece style, Qwen2 byte-level. */
class ForeignTokenizerTest {
  @TempDir Path dir;

  private static final List<String> PIECES = List.of(
      "▁", "t", "h", "e", "l", "o", "w", "r", "d", "▁t", "he", "▁the", "▁h", "el", "▁hel", "lo", "▁hello",
      "▁w", "or", "▁wor", "ld", "▁world");
  private static final List<String> MERGES = List.of(
      "▁ h", "e l", "▁h el", "l o", "▁hel lo", "▁ w", "o r", "▁w or", "l d", "▁wor ld", "▁ t", "h e", "▁t he");

  @Test
  void sentencePieceStyleWithByteFallback() throws IOException {
    writeSentencePieceTokenizer();
    try (TwinTokenizer tokenizer = TwinTokenizer.load(dir)) {
      int hello = tokenizer.tokenDecoder().idOf("▁hello");
      int world = tokenizer.tokenDecoder().idOf("▁world");
      assertArrayEquals(new int[] {hello, world}, tokenizer.encode("hello world"));
      assertEquals(Integer.valueOf(1), tokenizer.bosId());
      assertEquals(List.of(2), tokenizer.eosIds());
      assertFalse(tokenizer.tokenDecoder().byteLevel());
      assertTrue(tokenizer.tokenDecoder().stripsLeadingSpace());

      for (String text : List.of("hello world", "the café 🙂 is open", "wörld 你好")) {
        int[] ids = tokenizer.encode(text);
        assertEquals(text, tokenizer.decode(ids), text);
        assertStreamsLikeDjl(tokenizer, ids);
      }
      // unknown characters fall back to their UTF-8 bytes, one <0xNN> token each
      int[] cafe = tokenizer.encode("é");
      assertEquals(3, cafe.length);
      assertEquals(tokenizer.tokenDecoder().idOf("<0xC3>"), cafe[1]);
      assertEquals(tokenizer.decode(new int[] {1, hello}), tokenizer.tokenDecoder().decode(new int[] {1, hello}, false));
    }
  }

  @Test
  void qwen2StyleByteLevelWithSplitPreTokenizerAndNoBos() throws IOException {
    TokenizerFiles.write(dir, ByteLevelBpe.build(600), 4096);
    ObjectNode json = (ObjectNode) JsonFiles.read(dir.resolve(TokenizerFiles.TOKENIZER_JSON));
    ObjectNode pre = JsonFiles.MAPPER.createObjectNode().put("type", "Sequence");
    ArrayNode steps = pre.putArray("pretokenizers");
    ObjectNode split = steps.addObject().put("type", "Split");
    split.putObject("pattern").put("Regex", BpeTrainer.WORDS.pattern());
    split.put("behavior", "Isolated").put("invert", false);
    steps.addObject().put("type", "ByteLevel").put("add_prefix_space", false).put("trim_offsets", false)
        .put("use_regex", false);
    json.set("pre_tokenizer", pre);
    JsonFiles.write(dir.resolve(TokenizerFiles.TOKENIZER_JSON), json);
    ObjectNode config = (ObjectNode) JsonFiles.read(dir.resolve(TokenizerFiles.TOKENIZER_CONFIG));
    config.putNull("bos_token");
    JsonFiles.write(dir.resolve(TokenizerFiles.TOKENIZER_CONFIG), config);

    try (TwinTokenizer tokenizer = TwinTokenizer.load(dir)) {
      assertNull(tokenizer.bosId());
      assertEquals(List.of(SpecialTokens.id(SpecialTokens.EOT, 600)), tokenizer.eosIds());
      assertTrue(tokenizer.tokenDecoder().byteLevel());
      for (String text : GeneratedTokenizerTest.TEXTS) {
        int[] ids = tokenizer.encode(text);
        assertEquals(text, tokenizer.decode(ids), text);
        assertStreamsLikeDjl(tokenizer, ids);
      }
    }
  }

  private static void assertStreamsLikeDjl(TwinTokenizer tokenizer, int[] ids) {
    IncrementalDetokenizer detokenizer = tokenizer.newDetokenizer(false);
    StringBuilder streamed = new StringBuilder();
    for (int id : ids) {
      String piece = detokenizer.push(id);
      assertFalse(piece.contains("\uFFFD"));
      streamed.append(piece);
    }
    assertEquals(tokenizer.decode(ids), streamed.append(detokenizer.flush()).toString());
  }

  private void writeSentencePieceTokenizer() throws IOException {
    ObjectNode root = JsonFiles.MAPPER.createObjectNode();
    root.put("version", "1.0");
    ArrayNode added = root.putArray("added_tokens");
    String[] specials = {"<unk>", "<s>", "</s>"};
    for (int i = 0; i < specials.length; i++) {
      added.addObject().put("id", i).put("content", specials[i]).put("single_word", false).put("lstrip", false)
          .put("rstrip", false).put("normalized", false).put("special", true);
    }
    ObjectNode normalizer = root.putObject("normalizer").put("type", "Sequence");
    ArrayNode norms = normalizer.putArray("normalizers");
    norms.addObject().put("type", "Prepend").put("prepend", "▁");
    ObjectNode replace = norms.addObject().put("type", "Replace");
    replace.putObject("pattern").put("String", " ");
    replace.put("content", "▁");
    root.putNull("pre_tokenizer");
    ObjectNode decoder = root.putObject("decoder").put("type", "Sequence");
    ArrayNode decoders = decoder.putArray("decoders");
    ObjectNode unspace = decoders.addObject().put("type", "Replace");
    unspace.putObject("pattern").put("String", "▁");
    unspace.put("content", " ");
    decoders.addObject().put("type", "ByteFallback");
    decoders.addObject().put("type", "Fuse");
    decoders.addObject().put("type", "Strip").put("content", " ").put("start", 1).put("stop", 0);
    ObjectNode model = root.putObject("model").put("type", "BPE");
    model.putNull("dropout");
    model.put("unk_token", "<unk>");
    model.putNull("continuing_subword_prefix");
    model.putNull("end_of_word_suffix");
    model.put("fuse_unk", true).put("byte_fallback", true);
    ObjectNode vocab = model.putObject("vocab");
    for (int i = 0; i < specials.length; i++) {
      vocab.put(specials[i], i);
    }
    for (int b = 0; b < 256; b++) {
      vocab.put(String.format("<0x%02X>", b), 3 + b);
    }
    for (String piece : PIECES) {
      vocab.put(piece, vocab.size());
    }
    ArrayNode merges = model.putArray("merges");
    MERGES.forEach(merges::add);
    JsonFiles.write(dir.resolve(TokenizerFiles.TOKENIZER_JSON), root);
    Files.writeString(dir.resolve(TokenizerFiles.TOKENIZER_CONFIG),
        "{\"bos_token\": \"<s>\", \"eos_token\": \"</s>\", \"add_bos_token\": true}");
    Files.writeString(dir.resolve("config.json"), "{\"bos_token_id\": 1, \"eos_token_id\": 2}");
  }
}
