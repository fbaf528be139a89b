package dev.twinmesh.rag;

import dev.twinmesh.rag.embed.BgeSmallEmbedder;
import dev.twinmesh.rag.embed.Embedder;
import dev.twinmesh.rag.ingest.Ingestor;
import dev.twinmesh.rag.retrieve.ChatClient;
import dev.twinmesh.rag.retrieve.QueryExpander;
import dev.twinmesh.rag.retrieve.RagRetriever;
import dev.twinmesh.rag.retrieve.SelfQuery;
import dev.twinmesh.rag.store.LuceneVectorStore;
import dev.twinmesh.rag.store.QdrantVectorStore;
import dev.twinmesh.rag.store.VectorStore;
import io.vertx.core.Vertx;
import java.nio.file.Path;

/**
 * The rag-verticle's parts, wired from one {@link RagConfig}: the embedding model, the vector store, the
 * author directory, the ingestor and the retriever, and the verticles that serve {@code rag.prompt} and
 * {@code rag.ingest}.
 * Opening loads the model and opens the store (a few seconds, blocking); close it when the mesh stops.
 */
public final class RagServices implements AutoCloseable {
  private final RagConfig config;
  private final Embedder embedder;
  private final VectorStore store;
  private final AuthorDirectory authors;
  private final ChatClient chat;
  private final RagRetriever retriever;
  private final Ingestor ingestor;
  private final PromptBuilder prompts;
  private final boolean ownsEmbedderAndStore;

  private RagServices(Vertx vertx, RagConfig config, Embedder embedder, VectorStore store, TokenCounter promptTokens,
                      boolean ownsEmbedderAndStore) {
    this.config = config;
    this.ownsEmbedderAndStore = ownsEmbedderAndStore;
    this.embedder = embedder;
    this.store = store;
    this.authors = AuthorDirectory.open(config.dataDir() == null ? null : config.dataDir().resolve("authors.json"));
    this.chat = config.expansionEnabled()
        ? new ChatClient(vertx, config.expansionUrl(), config.expansionApiKey(), config.expansionTimeout())
        : null;
    QueryExpander expander = chat == null ? QueryExpander.off()
        : new QueryExpander(chat, config.expansionModel(), config.expandN());
    this.retriever = new RagRetriever(vertx, embedder, store, new SelfQuery(authors), expander, config.topK(),
        config.keepTopK(), config.mmrLambda());
    this.ingestor = new Ingestor(embedder, store, authors, config.chunkSize(), config.chunkOverlap());
    this.prompts = new PromptBuilder(PromptTemplates.builtIn(), promptTokens, config.maxInputTokens());
  }

  /**
   * Loads bge-small-en-v1.5 (the export the config names) and opens the store the config names. Blocking: call it before deploying,
   * or from a worker thread.
   *
   * @param promptTokens the served model's token counter, for the prompt budget; {@link TokenCounter#approximate()} if none
   */
  public static RagServices open(Vertx vertx, RagConfig config, TokenCounter promptTokens) {
    // The store first: a store held by another process fails at once, before seconds of model loading.
    VectorStore store = openStore(config);
    Embedder embedder = null;
    try {
      embedder = BgeSmallEmbedder.load(config.embeddingModel());
      return new RagServices(vertx, config, embedder, store, promptTokens, true);
    } catch (RuntimeException e) {
      if (embedder != null) {
        embedder.close();
      }
      store.close();
      throw e;
    }
  }

  /** With an embedder and a store made elsewhere (tests, or shared with other code): closing leaves them open. */
  public static RagServices open(Vertx vertx, RagConfig config, Embedder embedder, VectorStore store,
                                 TokenCounter promptTokens) {
    return new RagServices(vertx, config, embedder, store, promptTokens, false);
  }

  /** The store {@code config} names: Lucene in {@code dataDir/vectors}, or Qdrant at {@code qdrantUrl}. */
  public static VectorStore openStore(RagConfig config) {
    return switch (config.store()) {
      case EMBEDDED -> new LuceneVectorStore(vectorsDir(config.dataDir()));
      case QDRANT -> new QdrantVectorStore(config.qdrantUrl(), config.qdrantApiKey(), config.storeTimeout());
    };
  }

  public static Path vectorsDir(Path dataDir) {
    return dataDir.resolve("vectors");
  }

  /** A new verticle serving {@code rag.prompt} with this retriever and the prompt budget. */
  public RagVerticle verticle() {
    return new RagVerticle(retriever, prompts);
  }

  /** A new verticle serving {@code rag.ingest}: writing sent to the business service's {@code /v1/ingest}. */
  public IngestVerticle ingestVerticle() {
    return new IngestVerticle(ingestor, authors);
  }

  public ContextRetriever retriever() {
    return retriever;
  }

  public Ingestor ingestor() {
    return ingestor;
  }

  public AuthorDirectory authors() {
    return authors;
  }

  public VectorStore store() {
    return store;
  }

  public Embedder embedder() {
    return embedder;
  }

  public RagConfig config() {
    return config;
  }

  @Override
  public void close() {
    retriever.close();
    if (chat != null) {
      chat.close();
    }
    if (ownsEmbedderAndStore) {
      store.close();
      embedder.close();
    }
  }
}
