package dev.twinmesh.rag.retrieve;

import dev.twinmesh.common.TraceRecord;
import dev.twinmesh.rag.ContextRetriever;
import dev.twinmesh.rag.RetrievedContext;
import dev.twinmesh.rag.embed.Embedder;
import dev.twinmesh.rag.ingest.DocumentType;
import dev.twinmesh.rag.store.ScoredPoint;
import dev.twinmesh.rag.store.VectorStore;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.WorkerExecutor;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The twin's retrieval: self-query (whose writing), query expansion (several phrasings), a search of every
 * collection for every phrasing in parallel, de-duplication, and an MMR rerank against the original question.
 * Blocking work (embedding, store calls) runs on its own worker pool, never on the event loop.
 */
public final class RagRetriever implements ContextRetriever, AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(RagRetriever.class);
  /** The embedding model reads 512 tokens at most; longer questions only cost tokenizing time. */
  static final int MAX_QUERY_CHARS = 4_000;

  private final Embedder embedder;
  private final VectorStore store;
  private final SelfQuery selfQuery;
  private final QueryExpander expander;
  private final MmrReranker reranker;
  private final List<String> collections;
  private final int topK;
  private final int keepTopK;
  private final WorkerExecutor workers;

  public RagRetriever(Vertx vertx, Embedder embedder, VectorStore store, SelfQuery selfQuery, QueryExpander expander,
                      int topK, int keepTopK, double mmrLambda) {
    this.embedder = embedder;
    this.store = store;
    this.selfQuery = selfQuery;
    this.expander = expander;
    this.reranker = new MmrReranker(mmrLambda);
    this.collections = Arrays.stream(DocumentType.values()).map(DocumentType::collection).toList();
    this.topK = topK;
    this.keepTopK = keepTopK;
    this.workers = vertx.createSharedWorkerExecutor("twin-rag-retrieval", 8);
  }

  private record Hit(String collection, ScoredPoint point) {}

  @Override
  public Future<RetrievedContext> retrieve(String question, String author) {
    if (question == null || question.isBlank()) {
      return Future.succeededFuture(RetrievedContext.EMPTY);
    }
    String q = question.length() > MAX_QUERY_CHARS ? question.substring(0, MAX_QUERY_CHARS) : question;
    Map<String, Long> timings = Collections.synchronizedMap(new LinkedHashMap<>());
    long started = System.nanoTime();
    Step step = new Step(timings);
    SelfQuery.Result who = selfQuery.resolve(q, author);
    step.done("self_query");
    String authorName = who.author() == null ? null : who.author().name();
    return expander.expand(q)
        .compose(queries -> {
          step.done("expand");
          return workers.executeBlocking(() -> embedder.embed(queries), false).map(vectors -> {
            step.done("embed");
            return new Embedded(queries, vectors);
          });
        })
        .compose(embedded -> searchAll(embedded, who.filterId()).map(hits -> {
          step.done("search");
          List<ScoredPoint> kept = reranker.rerank(embedded.vectors().get(0), dedupe(hits), keepTopK);
          step.done("rerank");
          timings.put("total", (System.nanoTime() - started) / 1_000_000);
          RetrievedContext context = context(kept, hits, authorName, embedded.queries(), timings);
          LOG.debug("retrieved {} chunks for author {} ({}) with {} queries: {}", kept.size(), who.filterId(),
              who.how(), embedded.queries().size(), timings);
          return context;
        }));
  }

  private record Embedded(List<String> queries, List<float[]> vectors) {}

  private record Outcome(List<Hit> hits, Throwable failure) {}

  /** Every query against every collection, in parallel; a failed search is dropped unless all of them fail. */
  private Future<List<Hit>> searchAll(Embedded embedded, String authorId) {
    List<Future<Outcome>> searches = new ArrayList<>();
    for (float[] vector : embedded.vectors()) {
      for (String collection : collections) {
        searches.add(workers.executeBlocking(() -> store.search(collection, vector, authorId, topK), false)
            .map(points -> new Outcome(points.stream().map(p -> new Hit(collection, p)).toList(), null))
            .otherwise(e -> new Outcome(List.of(), e)));
      }
    }
    return Future.all(searches).compose(done -> {
      List<Hit> hits = new ArrayList<>();
      Throwable firstFailure = null;
      int failed = 0;
      for (Future<Outcome> search : searches) {
        Outcome outcome = search.result();
        hits.addAll(outcome.hits());
        if (outcome.failure() != null) {
          failed++;
          firstFailure = firstFailure == null ? outcome.failure() : firstFailure;
        }
      }
      if (failed == searches.size()) {
        return Future.failedFuture(firstFailure);
      }
      if (failed > 0) {
        LOG.warn("{} of {} searches failed, using the others: {}", failed, searches.size(), firstFailure.getMessage());
      }
      return Future.succeededFuture(hits);
    });
  }

  /** One entry per point id, the best score it got under any query. */
  private static List<ScoredPoint> dedupe(List<Hit> hits) {
    Map<String, ScoredPoint> best = new LinkedHashMap<>();
    for (Hit hit : hits) {
      best.merge(hit.point().id(), hit.point(), (a, b) -> a.score() >= b.score() ? a : b);
    }
    return new ArrayList<>(best.values());
  }

  private static RetrievedContext context(List<ScoredPoint> kept, List<Hit> hits, String author, List<String> queries,
                                          Map<String, Long> timings) {
    Map<String, String> collectionOf = new LinkedHashMap<>();
    hits.forEach(h -> collectionOf.putIfAbsent(h.point().id(), h.collection()));
    List<String> texts = new ArrayList<>();
    List<TraceRecord.RetrievedChunk> chunks = new ArrayList<>();
    for (ScoredPoint p : kept) {
      texts.add(p.payload().content());
      chunks.add(new TraceRecord.RetrievedChunk(p.id(), Math.round(p.score() * 10_000) / 10_000.0,
          collectionOf.get(p.id()), p.payload().source()));
    }
    return new RetrievedContext(texts, chunks, author, queries, Collections.unmodifiableMap(new LinkedHashMap<>(timings)));
  }

  @Override
  public void close() {
    workers.close();
  }

  /** Milliseconds since the previous step, recorded under each step's name. */
  private static final class Step {
    private final Map<String, Long> timings;
    private long last = System.nanoTime();

    Step(Map<String, Long> timings) {
      this.timings = timings;
    }

    synchronized void done(String name) {
      long now = System.nanoTime();
      timings.put(name, (now - last) / 1_000_000);
      last = now;
    }
  }
}
