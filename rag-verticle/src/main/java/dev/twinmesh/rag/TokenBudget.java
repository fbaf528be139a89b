package dev.twinmesh.rag;

import java.text.BreakIterator;
import java.util.Locale;

/** Cuts a text to a number of tokens, at the last sentence boundary that fits where there is one. */
public final class TokenBudget {
  private final TokenCounter counter;

  public TokenBudget(TokenCounter counter) {
    this.counter = counter;
  }

  public TokenCounter counter() {
    return counter;
  }

  /** The text itself when it fits in {@code maxTokens}; otherwise its longest fitting prefix, cut as cleanly as possible. */
  public String truncate(String text, int maxTokens) {
    if (maxTokens <= 0 || text.isEmpty()) {
      return "";
    }
    if (counter.count(text) <= maxTokens) {
      return text;
    }
    int fits = longestFittingPrefix(text, maxTokens);
    int cut = lastSentenceEnd(text, fits);
    if (cut <= 0) {
      cut = lastWhitespace(text, fits);
    }
    if (cut <= 0) {
      cut = fits;
    }
    return text.substring(0, cut).stripTrailing();
  }

  /**
   * Binary search over prefix lengths (token counts grow with the prefix), after a doubling search for an
   * upper bound, so that a megabyte of question costs a few tokenizations of a few kilobytes, not of the whole.
   */
  private int longestFittingPrefix(String text, int maxTokens) {
    int low = 0;
    int high = Math.min(text.length(), Math.max(64, maxTokens * 8));
    while (high < text.length() && counter.count(text.substring(0, high)) <= maxTokens) {
      low = high;
      high = (int) Math.min(text.length(), high * 2L);
    }
    while (low < high) {
      int mid = (low + high + 1) >>> 1;
      if (counter.count(text.substring(0, mid)) <= maxTokens) {
        low = mid;
      } else {
        high = mid - 1;
      }
    }
    if (low > 0 && Character.isHighSurrogate(text.charAt(low - 1))) {
      low--;
    }
    return low;
  }

  private static int lastSentenceEnd(String text, int limit) {
    String head = text.substring(0, limit);
    BreakIterator sentences = BreakIterator.getSentenceInstance(Locale.ROOT);
    sentences.setText(text);
    int boundary = sentences.preceding(Math.min(limit + 1, text.length()));
    while (boundary > 0) {
      if (boundary <= limit && endsSentence(head, boundary)) {
        return boundary;
      }
      boundary = sentences.preceding(boundary);
    }
    return head.lastIndexOf('\n');
  }

  /** BreakIterator also breaks after a line that ends without punctuation; only real sentence ends count. */
  private static boolean endsSentence(String head, int boundary) {
    int end = boundary;
    while (end > 0 && Character.isWhitespace(head.charAt(end - 1))) {
      end--;
    }
    if (end == 0) {
      return false;
    }
    if (head.substring(end, boundary).indexOf('\n') >= 0) {
      return true;
    }
    char last = head.charAt(end - 1);
    if ((last == '"' || last == '\'' || last == ')') && end > 1) {
      last = head.charAt(end - 2);
    }
    return last == '.' || last == '!' || last == '?';
  }

  private static int lastWhitespace(String text, int limit) {
    for (int i = limit; i > 0; i--) {
      if (Character.isWhitespace(text.charAt(i - 1))) {
        return i - 1;
      }
    }
    return -1;
  }
}
