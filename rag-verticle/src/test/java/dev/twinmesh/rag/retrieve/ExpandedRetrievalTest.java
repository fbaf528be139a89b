package dev.twinmesh.rag.retrieve;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.twinmesh.rag.RetrievedContext;
import dev.twinmesh.rag.corpus.IngestedCorpus;
import dev.twinmesh.rag.store.Distance;
import dev.twinmesh.rag.store.ScoredPoint;
import dev.twinmesh.rag.store.VectorPoint;
import dev.twinmesh.rag.store.VectorStore;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Retrieval with query expansion from a stand-in chat endpoint: every query searches every collection, in parallel. */
class ExpandedRetrievalTest {
  private Vertx vertx;
  private HttpServer server;

  @BeforeEach
  void start() throws Exception {
    vertx = Vertx.vertx();
    String rewrites = "How is the gross pay worked out past forty hours?#next-question#Where is time and a half computed?";
    server = vertx.createHttpServer().requestHandler(req -> req.body().onSuccess(body -> req.response().end(
        new JsonObject().put("choices", new JsonArray().add(new JsonObject().put("message",
            new JsonObject().put("role", "assistant").put("content", rewrites)))).encode())))
        .listen(0, "127.0.0.1").await(10, TimeUnit.SECONDS);
  }

  @AfterEach
  void stop() throws Exception {
    vertx.close().await(10, TimeUnit.SECONDS);
  }

  @Test
  void everyQueryIsSearchedInEveryCollectionInParallelAndTheResultsMerged() throws Exception {
    IngestedCorpus corpus = IngestedCorpus.get();
    CountingStore store = new CountingStore(corpus.store());
    QueryExpander expander = new QueryExpander(
        new ChatClient(vertx, "http://127.0.0.1:" + server.actualPort() + "/v1", null, Duration.ofSeconds(5)), "twin", 3);
    try (RagRetriever retriever = new RagRetriever(vertx, corpus.embedder(), store, new SelfQuery(corpus.authors()),
        expander, 5, 5, 0.7)) {
      RetrievedContext context = retriever.retrieve("How does the payroll program compute overtime pay?", "grace")
          .toCompletionStage().toCompletableFuture().get(60, TimeUnit.SECONDS);
      assertEquals(3, context.queries().size(), context.queries().toString());
      assertEquals(9, store.searches.get(), "3 queries x 3 collections");
      assertTrue(store.maxConcurrent.get() > 1, "searches overlapped: " + store.maxConcurrent.get());
      assertTrue(context.chunks().get(0).source().endsWith("PAYROLL.cbl"), context.chunks().toString());
      assertEquals(context.chunks().size(), context.chunks().stream().map(c -> c.id()).distinct().count(), "deduplicated");
    }
  }

  /** Passes calls through, counting searches and how many ran at once. */
  static final class CountingStore implements VectorStore {
    final VectorStore inner;
    final AtomicInteger searches = new AtomicInteger();
    final AtomicInteger running = new AtomicInteger();
    final AtomicInteger maxConcurrent = new AtomicInteger();

    CountingStore(VectorStore inner) {
      this.inner = inner;
    }

    @Override
    public List<ScoredPoint> search(String collection, float[] vector, String authorId, int topK) {
      searches.incrementAndGet();
      maxConcurrent.accumulateAndGet(running.incrementAndGet(), Math::max);
      try {
        Thread.sleep(50); // long enough for parallel searches to overlap
        return inner.search(collection, vector, authorId, topK);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException(e);
      } finally {
        running.decrementAndGet();
      }
    }

    @Override public void ensureCollection(String c, int d, Distance distance) { inner.ensureCollection(c, d, distance); }
    @Override public boolean collectionExists(String c) { return inner.collectionExists(c); }
    @Override public void upsert(String c, List<VectorPoint> points) { inner.upsert(c, points); }
    @Override public long count(String c) { return inner.count(c); }
    @Override public void deleteCollection(String c) { inner.deleteCollection(c); }
    @Override public void close() {}
  }
}
