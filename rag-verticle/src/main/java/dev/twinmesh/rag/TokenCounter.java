package dev.twinmesh.rag;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Counts the tokens a text costs the served model. The application plugs in the model's own tokenizer;
 * {@link #approximate()} is the stand-in for when it has none.
 */
@FunctionalInterface
public interface TokenCounter {

  int count(String text);

  /**
   * A tokenizer-free estimate that errs on the high side, so a budget it enforces holds for real BPE
   * tokenizers too: a run of letters or digits costs one token per four characters, every other
   * non-space character one token.
   */
  static TokenCounter approximate() {
    return Approximate.INSTANCE;
  }

  final class Approximate implements TokenCounter {
    static final Approximate INSTANCE = new Approximate();
    private static final Pattern PIECE = Pattern.compile("[\\p{L}\\p{N}]+|[^\\p{L}\\p{N}\\s]");

    private Approximate() {}

    @Override
    public int count(String text) {
      if (text == null || text.isEmpty()) {
        return 0;
      }
      Matcher m = PIECE.matcher(text);
      int tokens = 0;
      while (m.find()) {
        tokens += (m.end() - m.start() + 3) / 4;
      }
      return tokens;
    }
  }
}
