package dev.twinmesh.rag.retrieve;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.twinmesh.common.TraceRecord;
import dev.twinmesh.rag.RagConfig;
import dev.twinmesh.rag.RetrievedContext;
import dev.twinmesh.rag.corpus.IngestedCorpus;
import dev.twinmesh.rag.corpus.TestCorpus;
import dev.twinmesh.rag.store.QdrantVectorStore;
import dev.twinmesh.rag.store.ScoredPoint;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Retrieval over the ingested {@link TestCorpus} in the embedded store, without query expansion. */
class RetrievalRecallTest {
  static final double RECALL_FLOOR = 0.8;

  static Vertx vertx;
  static IngestedCorpus corpus;
  static RagRetriever retriever;

  @BeforeAll
  static void setUp() {
    vertx = Vertx.vertx();
    corpus = IngestedCorpus.get();
    retriever = new RagRetriever(vertx, corpus.embedder(), corpus.store(), new SelfQuery(corpus.authors()),
        QueryExpander.off(), RagConfig.TOP_K, RagConfig.KEEP_TOP_K, RagConfig.MMR_LAMBDA);
  }

  @AfterAll
  static void tearDown() throws Exception {
    retriever.close();
    vertx.close().await(10, TimeUnit.SECONDS);
  }

  @Test
  void theRightDocumentIsInTheTopFiveForMostLabelledQuestions() throws Exception {
    int hits = 0;
    int firsts = 0;
    List<String> misses = new ArrayList<>();
    for (TestCorpus.Question q : TestCorpus.QUESTIONS) {
      RetrievedContext context = await(retriever.retrieve(q.text(), q.author()));
      List<String> sources = context.chunks().stream().map(TraceRecord.RetrievedChunk::source).toList();
      if (!sources.isEmpty() && sources.get(0).endsWith(q.expectedSource())) {
        firsts++;
      }
      if (sources.stream().anyMatch(s -> s.endsWith(q.expectedSource()))) {
        hits++;
      } else {
        misses.add(q.text() + " -> " + sources);
      }
    }
    double recall = hits / (double) TestCorpus.QUESTIONS.size();
    System.out.printf("recall@5 = %.3f (%d of %d labelled questions), top-1 = %.3f%n", recall, hits,
        TestCorpus.QUESTIONS.size(), firsts / (double) TestCorpus.QUESTIONS.size());
    misses.forEach(m -> System.out.println("  missed: " + m));
    assertTrue(recall >= RECALL_FLOOR, "recall@5 " + recall + " below " + RECALL_FLOOR + "; missed " + misses);
  }

  @Test
  void anAuthorFilterKeepsOtherAuthorsOut() throws Exception {
    RetrievedContext context = await(retriever.retrieve("How long is a nanosecond of wire?", "alan"));
    assertEquals("Alan Turing", context.author());
    assertFalse(context.isEmpty());
    float[] q = corpus.embedder().embed("How long is a nanosecond of wire?");
    for (String collection : List.of("posts", "articles", "repositories")) {
      for (ScoredPoint p : corpus.store().search(collection, q, "alan", 5)) {
        assertEquals("alan", p.payload().authorId());
      }
    }
    assertTrue(context.chunks().stream().noneMatch(c -> c.source().endsWith("nanosecond.md")), context.chunks().toString());
  }

  @Test
  void theAuthorIsFoundInTheQuestionWhenTheRequestNamesNone() throws Exception {
    RetrievedContext context = await(retriever.retrieve("As Grace Hopper, what is the story of the moth?", null));
    assertEquals("Grace Hopper", context.author());
    assertTrue(context.chunks().get(0).source().endsWith("first-bug.md"), context.chunks().toString());
  }

  @Test
  void theTraceGetsIdsScoresCollectionsAndStepTimings() throws Exception {
    RetrievedContext context = await(retriever.retrieve("How did the bombe use cribs?", "alan"));
    TraceRecord.RetrievedChunk top = context.chunks().get(0);
    assertEquals(36, top.id().length());
    assertEquals("articles", top.collection());
    assertTrue(top.score() > 0.5 && top.score() <= 1.0, "score " + top.score());
    assertEquals(List.of("How did the bombe use cribs?"), context.queries());
    assertTrue(context.timingsMs().keySet().containsAll(List.of("self_query", "expand", "embed", "search", "rerank", "total")),
        context.timingsMs().toString());
    assertTrue(context.chunks().size() <= RagConfig.KEEP_TOP_K);
  }

  @Test
  void anUnknownAuthorGetsNoContextRatherThanSomeoneElses() throws Exception {
    RetrievedContext context = await(retriever.retrieve("How long is a nanosecond of wire?", "Linus Torvalds"));
    assertTrue(context.isEmpty(), context.chunks().toString());
  }

  @Test
  void anEmptyQuestionRetrievesNothing() throws Exception {
    assertTrue(await(retriever.retrieve("   ", "ada")).isEmpty());
    assertTrue(await(retriever.retrieve(null, null)).isEmpty());
  }

  @Test
  void aHugeQuestionIsAnsweredNotRefused() throws Exception {
    String huge = "How does the payroll program compute overtime pay? " + "Please be thorough. ".repeat(20_000);
    RetrievedContext context = await(retriever.retrieve(huge, "grace"));
    assertTrue(context.chunks().stream().anyMatch(c -> c.source().endsWith("PAYROLL.cbl")), context.chunks().toString());
  }

  @Test
  void anUnreachableStoreFailsTheFutureWithAClearMessage() {
    QdrantVectorStore nowhere = new QdrantVectorStore("http://127.0.0.1:1", null, Duration.ofSeconds(2));
    try (RagRetriever broken = new RagRetriever(vertx, corpus.embedder(), nowhere, new SelfQuery(corpus.authors()),
        QueryExpander.off(), 5, 5, 0.7)) {
      ExecutionException e = org.junit.jupiter.api.Assertions.assertThrows(ExecutionException.class,
          () -> await(broken.retrieve("What is the mill?", "ada")));
      assertTrue(e.getCause().getMessage().contains("Qdrant at 127.0.0.1:1"), e.getCause().getMessage());
    } finally {
      nowhere.close();
    }
  }

  static <T> T await(Future<T> future) throws Exception {
    return future.toCompletionStage().toCompletableFuture().get(60, TimeUnit.SECONDS);
  }
}
