package dev.twinmesh.worker.tokenizer;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * twin-mesh's own byte-level BPE vocabulary, sized to the model exactly so that every id a model can
 * emit has a token: 256 byte tokens, merges learned from a bundled English corpus, deterministic
 * filler merges up to the size, then the special tokens.
 *
 * @param tokens BPE tokens in id order (the specials are not among them; they follow as added tokens)
 * @param merges merges in rank order
 */
public record ByteLevelBpe(List<String> tokens, List<BpeTrainer.Merge> merges, List<String> specials) {
  static final String CORPUS = "corpus.txt";
  /** Frequent English letters first, so filler tokens look like word pieces rather than noise. */
  private static final String FILLER_LETTERS = "etaoinsrhldcumfpgwybvkxjqz";

  public int vocabSize() {
    return tokens.size() + specials.size();
  }

  public static ByteLevelBpe build(int vocabSize) {
    int bpeSize = vocabSize - SpecialTokens.ALL.size();
    if (bpeSize < 256) {
      throw new IllegalArgumentException("vocab_size " + vocabSize + " cannot hold 256 byte tokens and "
          + SpecialTokens.ALL.size() + " special tokens");
    }
    List<String> tokens = new ArrayList<>(bpeSize);
    Map<String, Integer> ids = new HashMap<>(bpeSize * 2);
    for (int id = 0; id < 256; id++) {
      add(tokens, ids, String.valueOf(ByteLevelAlphabet.charOf(ByteLevelAlphabet.byteAtId(id))));
    }
    List<BpeTrainer.Merge> merges = new ArrayList<>(bpeSize - 256);
    for (BpeTrainer.Merge merge : Learned.MERGES) {
      if (tokens.size() == bpeSize) {
        break;
      }
      if (!ids.containsKey(merge.merged())) {
        merges.add(merge);
        add(tokens, ids, merge.merged());
      }
    }
    addFillers(tokens, ids, merges, bpeSize);
    return new ByteLevelBpe(List.copyOf(tokens), List.copyOf(merges), SpecialTokens.ALL);
  }

  /**
   * Extends tokens by one letter each, oldest learned token first (the best word stems), until the
   * vocabulary is full. Every filler merges two tokens already present, so the BPE model stays
   * consistent. The walk cannot run dry: the longest token is always on it and always extends.
   */
  private static void addFillers(List<String> tokens, Map<String, Integer> ids, List<BpeTrainer.Merge> merges,
                                 int bpeSize) {
    int stemIndex = tokens.size() > 256 ? 256 : 0;
    while (tokens.size() < bpeSize) {
      String stem = tokens.get(stemIndex++);
      for (int i = 0; i < FILLER_LETTERS.length() && tokens.size() < bpeSize; i++) {
        String letter = String.valueOf(FILLER_LETTERS.charAt(i));
        String candidate = stem + letter;
        if (!ids.containsKey(candidate)) {
          merges.add(new BpeTrainer.Merge(stem, letter));
          add(tokens, ids, candidate);
        }
      }
    }
  }

  private static void add(List<String> tokens, Map<String, Integer> ids, String token) {
    ids.put(token, tokens.size());
    tokens.add(token);
  }

  /**
   * Training is greedy, so a smaller vocabulary's merges are a prefix of a larger one's: train once to
   * exhaustion and let every size take what it needs.
   */
  private static final class Learned {
    static final List<BpeTrainer.Merge> MERGES = BpeTrainer.train(corpus(), Integer.MAX_VALUE);
  }

  static String corpus() {
    try (InputStream in = ByteLevelBpe.class.getResourceAsStream(CORPUS)) {
      if (in == null) {
        throw new IllegalStateException("tokenizer corpus " + CORPUS + " missing from the classpath");
      }
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
