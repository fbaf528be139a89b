package dev.twinmesh.worker.tokenizer;

import java.util.List;

/**
 * The Llama-3-style special tokens twin-mesh's own tokenizers carry, in this order at the very end of
 * the vocabulary, so that the ids below them are plain byte-level BPE tokens.
 */
public final class SpecialTokens {
  public static final String BEGIN_OF_TEXT = "<|begin_of_text|>";
  public static final String END_OF_TEXT = "<|end_of_text|>";
  public static final String START_HEADER = "<|start_header_id|>";
  public static final String END_HEADER = "<|end_header_id|>";
  public static final String EOT = "<|eot_id|>";

  public static final List<String> ALL = List.of(BEGIN_OF_TEXT, END_OF_TEXT, START_HEADER, END_HEADER, EOT);

  private SpecialTokens() {}

  public static int id(String token, int vocabSize) {
    int index = ALL.indexOf(token);
    if (index < 0) {
      throw new IllegalArgumentException("not a special token: " + token);
    }
    return vocabSize - ALL.size() + index;
  }

  public static int bosId(int vocabSize) {
    return id(BEGIN_OF_TEXT, vocabSize);
  }

  /** End of a document, then end of a chat turn: generation stops at either. */
  public static List<Integer> eosIds(int vocabSize) {
    return List.of(id(END_OF_TEXT, vocabSize), id(EOT, vocabSize));
  }
}
