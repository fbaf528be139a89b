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

  /**
   * The text itself when it fits in {@code maxTokens}; otherwise its longest prefix that fits and ends a sentence,
   * or, with no such sentence, its longest fitting prefix cut at a line or word boundary.
   */
  public String truncate(String text, int maxTokens) {
    if (maxTokens <= 0 || text.isEmpty()) {
      return "";
    }
    int tokens = counter.count(text);
    if (tokens <= maxTokens) {
      return text;
    }
    int cut = lastFittingSentenceEnd(text, maxTokens, tokens);
    if (cut <= 0) {
      int fits = longestFittingPrefix(text, maxTokens);
      cut = text.lastIndexOf('\n', fits - 1);
      if (cut <= 0) {
        cut = lastWhitespace(text, fits);
      }
      if (cut <= 0) {
        cut = fits;
      }
    }
    return text.substring(0, cut).stripTrailing();
  }

  /**
   * The last sentence end whose prefix fits, or -1. Each count tokenizes kilobytes (or asks a worker over HTTP), so
   * instead of a binary search over characters (about 15 counts for a cut context) the cut is guessed from the
   * text's token density, the guess corrected once by the density of its own prefix, and the sentence ends next to
   * it are tried one by one: 3 to 5 counts in all. Token counts grow with the prefix, so the answer is the same.
   */
  private int lastFittingSentenceEnd(String text, int maxTokens, int textTokens) {
    BreakIterator sentences = BreakIterator.getSentenceInstance(Locale.ROOT);
    sentences.setText(text);
    int guess = (int) ((long) text.length() * maxTokens / textTokens);
    int guessTokens = counter.count(text.substring(0, guess));
    if (guessTokens > 0) {
      guess = (int) Math.min(text.length() - 1L, (long) guess * maxTokens / guessTokens);
    }
    int end = sentenceEndAtOrBefore(sentences, text, guess);
    if (end <= 0 || fits(text, end, maxTokens)) {
      for (int next = sentenceEndAfter(sentences, text, Math.max(end, guess)); next > 0 && fits(text, next, maxTokens);
           next = sentenceEndAfter(sentences, text, next)) {
        end = next;
      }
      return end;
    }
    while (end > 0 && !fits(text, end, maxTokens)) {
      end = sentenceEndAtOrBefore(sentences, text, end - 1);
    }
    return end;
  }

  private boolean fits(String text, int prefix, int maxTokens) {
    return counter.count(text.substring(0, prefix)) <= maxTokens;
  }

  /** The last boundary at or before {@code limit} that really ends a sentence, or -1. */
  private static int sentenceEndAtOrBefore(BreakIterator sentences, String text, int limit) {
    int boundary = sentences.preceding(Math.min(limit + 1, text.length()));
    while (boundary > 0 && !endsSentence(text, boundary)) {
      boundary = sentences.preceding(boundary);
    }
    return boundary;
  }

  /** The first boundary after {@code position}, short of the text's end, that really ends a sentence, or -1. */
  private static int sentenceEndAfter(BreakIterator sentences, String text, int position) {
    int boundary = sentences.following(position);
    while (boundary != BreakIterator.DONE && boundary < text.length() && !endsSentence(text, boundary)) {
      boundary = sentences.next();
    }
    return boundary == BreakIterator.DONE || boundary >= text.length() ? -1 : boundary;
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
