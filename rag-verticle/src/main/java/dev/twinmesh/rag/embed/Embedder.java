package dev.twinmesh.rag.embed;

import dev.twinmesh.rag.TokenCounter;
import java.util.List;

/**
 * Turns texts into vectors for the vector store. Every method blocks (tokenizing, running the model):
 * call them from worker threads, never from an event loop.
 */
public interface Embedder extends AutoCloseable {

  String modelName();

  int dimension();

  /** The most tokens one text may have, special tokens included; longer texts are cut before embedding. */
  int maxTokens();

  /** One unit-length vector per text, in order. */
  List<float[]> embed(List<String> texts);

  default float[] embed(String text) {
    return embed(List.of(text)).get(0);
  }

  /** The embedding model's tokens of a text, without special tokens, as character spans; the chunker cuts on them. */
  List<TokenSpan> tokenSpans(String text);

  /** Counts with the embedding model's tokenizer. */
  default TokenCounter tokenCounter() {
    return text -> text == null || text.isEmpty() ? 0 : tokenSpans(text).size();
  }

  @Override
  void close();
}
