package dev.twinmesh.rag.ingest;

import dev.twinmesh.rag.embed.Embedder;
import dev.twinmesh.rag.embed.TokenSpan;
import java.util.ArrayList;
import java.util.List;

/**
 * Cuts a text into windows of at most {@code size} of the embedding model's tokens, each starting
 * {@code overlap} tokens before the previous one ended. Windows end between words, not inside one.
 */
public final class Chunker {
  private final Embedder embedder;
  private final int size;
  private final int overlap;

  public Chunker(Embedder embedder, int size, int overlap) {
    if (size <= 0 || overlap < 0 || overlap >= size) {
      throw new IllegalArgumentException("chunk size must be positive and overlap in [0, size): " + size + "/" + overlap);
    }
    this.embedder = embedder;
    this.size = size;
    this.overlap = overlap;
  }

  public List<String> chunk(String text) {
    List<TokenSpan> spans = embedder.tokenSpans(text);
    if (spans.isEmpty()) {
      return List.of();
    }
    if (spans.size() <= size) {
      return List.of(text.substring(spans.get(0).start(), spans.get(spans.size() - 1).end()));
    }
    List<String> chunks = new ArrayList<>();
    int start = 0;
    while (true) {
      int end = Math.min(spans.size(), start + size);
      int minEnd = start + Math.max(1, size / 2);
      while (end < spans.size() && end > minEnd && continuesWord(text, spans, end)) {
        end--;
      }
      chunks.add(text.substring(spans.get(start).start(), spans.get(end - 1).end()));
      if (end == spans.size()) {
        return chunks;
      }
      int next = Math.max(start + 1, end - overlap);
      while (next > start + 1 && continuesWord(text, spans, next)) {
        next--;
      }
      start = next;
    }
  }

  /** True when token {@code i} is a word piece glued to the token before it. */
  private static boolean continuesWord(String text, List<TokenSpan> spans, int i) {
    TokenSpan previous = spans.get(i - 1);
    TokenSpan current = spans.get(i);
    return current.start() == previous.end()
        && Character.isLetterOrDigit(text.charAt(current.start()))
        && Character.isLetterOrDigit(text.charAt(previous.end() - 1));
  }
}
