package dev.twinmesh.rag;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.twinmesh.common.TraceRecord;
import dev.twinmesh.rag.embed.SharedEmbedder;
import dev.twinmesh.rag.ingest.DocumentType;
import dev.twinmesh.rag.ingest.IngestProgress;
import dev.twinmesh.rag.ingest.IngestSummary;
import dev.twinmesh.rag.ingest.SourceDocument;
import dev.twinmesh.rag.ingest.TextFormat;
import dev.twinmesh.rag.store.VectorStore;
import io.vertx.core.Vertx;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The wiring {@code twin-mesh up} uses: everything from a RagConfig with the embedded store in a data directory. */
class RagServicesTest {
  private Vertx vertx;

  @BeforeEach
  void start() {
    vertx = Vertx.vertx();
  }

  @AfterEach
  void stop() throws Exception {
    vertx.close().await(10, TimeUnit.SECONDS);
  }

  @Test
  void theEmbeddedMeshWiresFromItsConfigAndKeepsItsDataAcrossRestarts(@TempDir Path dataDir) throws Exception {
    RagConfig config = RagConfig.embedded(dataDir);
    List<String> firstIds;
    try (RagServices rag = RagServices.open(vertx, config, TokenCounter.approximate())) {
      IngestSummary summary = rag.ingestor().ingestDocuments(List.of(new SourceDocument(
          new Author("ada", "Ada Lovelace"), DocumentType.ARTICLES, "https://blog.example/engine",
          "# The engine\n\nThe mill performs the operations; the store holds the variables.", TextFormat.MARKDOWN)),
          IngestProgress.none());
      assertEquals(1, summary.chunks());
      firstIds = ids(rag.retriever().retrieve("What does the mill do?", "Ada Lovelace")
          .toCompletionStage().toCompletableFuture().get(60, TimeUnit.SECONDS));
      assertFalse(firstIds.isEmpty());
    }
    assertTrue(Files.isDirectory(dataDir.resolve("vectors/articles")));
    assertTrue(Files.exists(dataDir.resolve("authors.json")));
    // The restart reopens the store from the config alone; the model is borrowed to save a second load.
    VectorStore reopened = RagServices.openStore(config);
    try (reopened; RagServices again = RagServices.open(vertx, config, SharedEmbedder.get(), reopened,
        TokenCounter.approximate())) {
      RetrievedContext context = again.retriever().retrieve("As Ada Lovelace: what does the mill do?", null)
          .toCompletionStage().toCompletableFuture().get(60, TimeUnit.SECONDS);
      assertEquals(firstIds, ids(context));
      assertEquals("Ada Lovelace", context.author());
      assertEquals(1, again.store().count("articles"));
    }
  }

  private static List<String> ids(RetrievedContext context) {
    return context.chunks().stream().map(TraceRecord.RetrievedChunk::id).toList();
  }
}
