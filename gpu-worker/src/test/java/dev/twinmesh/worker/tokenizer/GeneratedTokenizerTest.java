package dev.twinmesh.worker.tokenizer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.twinmesh.worker.checkpoint.JsonFiles;
import dev.twinmesh.worker.checkpoint.ModelConfig;
import dev.twinmesh.worker.checkpoint.ModelConfigs;
import dev.twinmesh.worker.checkpoint.ModelPreset;
import dev.twinmesh.worker.checkpoint.RandomCheckpointWriter;
import dev.twinmesh.worker.checkpoint.WriteProgress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** twin-mesh's own tokenizer, written next to the tiny preset and read back through Hugging Face's code (DJL). */
class GeneratedTokenizerTest {
  static final List<String> TEXTS = List.of(
      "Retrieval keeps a model honest. It's 2026, and version 3.1 has 32 layers!",
      "Crème brûlée à la façon de Zoë, naïve café",
      "你好，世界。日本語のテキストも大丈夫です。",
      "Streaming 🚀🙂 works, even 👨‍👩‍👧 families",
      "  leading spaces,\ttabs\nand\n\nnewlines  ");

  @TempDir static Path dir;
  static ModelConfig config;
  static TwinTokenizer tokenizer;

  @BeforeAll
  static void writeTinyCheckpoint() {
    config = RandomCheckpointWriter.write(ModelPreset.TINY, dir, 7, "fp32", 1L << 40, WriteProgress.quiet());
    tokenizer = TwinTokenizer.load(dir);
  }

  @AfterAll
  static void closeTokenizer() {
    tokenizer.close();
  }

  @Test
  void encodeDecodeRoundTripsAnyText() {
    for (String text : TEXTS) {
      int[] ids = tokenizer.encode(text);
      assertTrue(ids.length > 0);
      for (int id : ids) {
        assertTrue(id >= 0 && id < config.vocabSize());
      }
      assertEquals(text, tokenizer.decode(ids), text);
      assertEquals(text, tokenizer.tokenDecoder().decode(ids, false), text);
    }
  }

  @Test
  void learnedMergesMakeCommonWordsShort() {
    String text = "the model and the retrieval";
    assertTrue(tokenizer.encode(text).length < text.getBytes(StandardCharsets.UTF_8).length / 2);
  }

  @Test
  void specialTokenStringsBecomeTheirIds() {
    int v = config.vocabSize();
    int[] ids = tokenizer.encode("<|begin_of_text|><|start_header_id|>user<|end_header_id|>\n\nHi<|eot_id|>");
    assertEquals(v - 5, ids[0]);
    assertEquals(v - 3, ids[1]);
    assertEquals(v - 1, ids[ids.length - 1]);
    assertEquals(Integer.valueOf(v - 5), tokenizer.bosId());
    assertEquals(List.of(v - 4, v - 1), tokenizer.eosIds());
    assertEquals(config.bosTokenId(), tokenizer.bosId());
    assertEquals(config.eosTokenIds(), tokenizer.eosIds());
    assertEquals("user\n\nHi", tokenizer.decode(ids, true));
    assertEquals("<|begin_of_text|><|start_header_id|>", tokenizer.decode(java.util.Arrays.copyOf(ids, 2)));
    assertTrue(tokenizer.tokenDecoder().isSpecial(v - 1));
    assertFalse(tokenizer.tokenDecoder().isSpecial(v - 6));
  }

  @Test
  void vocabularyIsExactlyTheModelsSize() {
    assertEquals(config.vocabSize(), tokenizer.vocabSize());
    JsonNode json = JsonFiles.read(dir.resolve(TokenizerFiles.TOKENIZER_JSON));
    assertEquals(config.vocabSize() - 5, json.get("model").get("vocab").size());
    assertEquals("ByteLevel", json.get("pre_tokenizer").get("type").asText());
    assertFalse(json.get("pre_tokenizer").get("add_prefix_space").asBoolean());
    assertEquals("ByteLevel", json.get("decoder").get("type").asText());
    assertEquals(ModelConfigs.load(dir).eosTokenIds(), config.eosTokenIds());
    JsonNode generation = JsonFiles.read(dir.resolve("generation_config.json"));
    assertEquals(config.bosTokenId().intValue(), generation.get("bos_token_id").asInt());
    assertEquals(config.eosTokenIds().get(1).intValue(), generation.get("eos_token_id").get(1).asInt());
  }

  @Test
  void everyIdDecodesTheSameInDjlAndTokenDecoder() {
    TokenDecoder decoder = tokenizer.tokenDecoder();
    for (int id = 0; id < config.vocabSize(); id++) {
      byte[] bytes = decoder.bytes(id, false);
      assertTrue(bytes.length > 0, "id " + id);
      String djl = tokenizer.decode(new int[] {id});
      assertFalse(djl.isEmpty(), "id " + id);
      if (isValidUtf8(bytes)) {
        assertEquals(new String(bytes, StandardCharsets.UTF_8), djl, "id " + id);
      }
    }
  }

  @Test
  void incrementalDetokenizerMatchesFullDecodeAndNeverSplitsACharacter() {
    boolean sawSplitCharacter = false;
    for (String text : TEXTS) {
      int[] ids = tokenizer.encode(text);
      IncrementalDetokenizer detokenizer = tokenizer.newDetokenizer(false);
      StringBuilder streamed = new StringBuilder();
      for (int id : ids) {
        String piece = detokenizer.push(id);
        assertFalse(piece.contains("\uFFFD"), "half a character emitted for " + text);
        streamed.append(piece);
        sawSplitCharacter |= !isValidUtf8(tokenizer.tokenDecoder().bytes(id, false));
      }
      streamed.append(detokenizer.flush());
      assertEquals(tokenizer.decode(ids), streamed.toString());
    }
    assertTrue(sawSplitCharacter, "the texts should include characters split across tokens");
  }

  @Test
  void detokenizerCanSkipSpecialTokens() {
    int v = config.vocabSize();
    IncrementalDetokenizer detokenizer = tokenizer.newDetokenizer(true);
    int[] hello = tokenizer.encode("hello");
    StringBuilder out = new StringBuilder(detokenizer.push(v - 5));
    for (int id : hello) {
      out.append(detokenizer.push(id));
    }
    out.append(detokenizer.push(v - 1));
    assertEquals("hello", out.toString());
  }

  @Test
  void buildingTheLargestVocabularyIsQuickAndConsistent() {
    long start = System.nanoTime();
    ByteLevelBpe bpe = ByteLevelBpe.build(128256);
    long millis = (System.nanoTime() - start) / 1_000_000;
    assertTrue(millis < 5000, "took " + millis + " ms");
    assertEquals(128256, bpe.vocabSize());
    assertEquals(128256 - 5 - 256, bpe.merges().size());
    java.util.Set<String> seen = new java.util.HashSet<>(bpe.tokens());
    assertEquals(bpe.tokens().size(), seen.size());
    for (BpeTrainer.Merge merge : bpe.merges()) {
      assertTrue(seen.contains(merge.left()) && seen.contains(merge.right()) && seen.contains(merge.merged()));
    }
    assertArrayEquals(bpe.tokens().subList(0, 300).toArray(), ByteLevelBpe.build(1024).tokens().subList(0, 300).toArray());
  }

  static boolean isValidUtf8(byte[] bytes) {
    try {
      StandardCharsets.UTF_8.newDecoder().decode(java.nio.ByteBuffer.wrap(bytes));
      return true;
    } catch (java.nio.charset.CharacterCodingException e) {
      return false;
    }
  }
}
