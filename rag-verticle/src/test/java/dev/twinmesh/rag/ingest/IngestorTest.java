package dev.twinmesh.rag.ingest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.twinmesh.rag.Author;
import dev.twinmesh.rag.AuthorDirectory;
import dev.twinmesh.rag.corpus.IngestedCorpus;
import dev.twinmesh.rag.corpus.TestCorpus;
import dev.twinmesh.rag.embed.SharedEmbedder;
import dev.twinmesh.rag.store.ChunkPayload;
import dev.twinmesh.rag.store.LuceneVectorStore;
import dev.twinmesh.rag.store.ScoredPoint;
import dev.twinmesh.rag.store.VectorStoreException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class IngestorTest {
  private final IngestedCorpus corpus = IngestedCorpus.get();

  @Test
  void theCorpusIsStoredOneCollectionPerTypeAndTheJunkIsSkippedWithReasons() {
    IngestSummary summary = corpus.summary();
    assertEquals(TestCorpus.DOCUMENTS, summary.documents());
    assertEquals(Map.of("posts", 8, "articles", 7, "repositories", 7), summary.perCollection());
    Map<String, String> skipped = new java.util.HashMap<>();
    summary.skipped().forEach(s -> skipped.put(s.source().replaceAll(".*/", ""), s.reason()));
    assertEquals("unsupported file type .jpg", skipped.get("photo.jpg"));
    assertTrue(skipped.get("broken.json").startsWith("malformed JSON"), skipped.toString());
    assertEquals("not a source or text file", skipped.get("logo.png"));
    assertEquals("lock file", skipped.get("package-lock.json"));
    assertEquals("no content, text or body field", skipped.get("export.json#3"));
    assertTrue(skipped.keySet().stream().noneMatch(s -> s.contains("left-pad") || s.equals("index.js")),
        "node_modules is not even looked at: " + skipped);
    assertEquals(8, corpus.store().count("posts"));
  }

  @Test
  void ingestingTheSameTreeAgainChangesNothing() throws Exception {
    long before = corpus.store().count("posts") + corpus.store().count("articles") + corpus.store().count("repositories");
    IngestSummary again = corpus.ingestor().ingestTree(corpus.root(), IngestProgress.none());
    long after = corpus.store().count("posts") + corpus.store().count("articles") + corpus.store().count("repositories");
    assertEquals(TestCorpus.DOCUMENTS, again.documents());
    assertEquals(before, after);
  }

  @Test
  void aPointCarriesItsAuthorTypeSourceContentIndexAndHash() {
    float[] q = corpus.embedder().embed("moth in relay 70");
    ScoredPoint hit = corpus.store().search("posts", q, "grace", 1).get(0);
    ChunkPayload p = hit.payload();
    assertEquals("grace", p.authorId());
    assertEquals("Grace Hopper", p.authorName());
    assertEquals("posts", p.type());
    assertTrue(p.source().endsWith("grace/posts/first-bug.md"), p.source());
    assertTrue(p.content().startsWith("In September 1947"), p.content());
    assertEquals(0, p.chunkIndex());
    assertEquals(PointIds.sha256Hex(p.content()), p.contentHash());
    assertEquals(PointIds.pointId("grace", p.content()), hit.id());
  }

  @Test
  void codeKeepsItsRepositoryLinkAndIndentation() {
    float[] q = corpus.embedder().embed("overtime pay");
    ScoredPoint hit = corpus.store().search("repositories", q, "grace", 1).get(0);
    assertEquals("https://code.example/grace/cobol-payroll/PAYROLL.cbl", hit.payload().source());
    assertTrue(hit.payload().content().contains("\n               COMPUTE GROSS-PAY = 40 * HOURLY-RATE\n"),
        hit.payload().content());
  }

  @Test
  void theAuthorDirectoryLearnsEveryIngestedAuthor() {
    assertEquals(List.of("ada", "alan", "grace", "margaret"),
        AuthorDirectory.open(corpus.dataDir().resolve("authors.json")).authors().stream().map(Author::id).sorted().toList());
  }

  @Test
  void longDocumentsAreChunkedWithProgressReported(@TempDir Path dir) {
    try (LuceneVectorStore store = new LuceneVectorStore(dir)) {
      Ingestor small = new Ingestor(SharedEmbedder.get(), store, AuthorDirectory.inMemory(), 40, 10);
      StringBuilder longPost = new StringBuilder();
      for (int i = 0; i < 30; i++) {
        longPost.append("Sentence ").append(i).append(" says the quick brown fox jumps over lazy dog ").append(i).append(". ");
      }
      List<String> progress = new ArrayList<>();
      IngestSummary summary = small.ingestDocuments(List.of(
              new SourceDocument(new Author("ada", "Ada Lovelace"), DocumentType.POSTS, "p1", longPost.toString(), TextFormat.PLAIN),
              new SourceDocument(new Author("ada", "Ada Lovelace"), DocumentType.POSTS, "p2", "<p> </p>", TextFormat.HTML)),
          (done, total, source, chunks) -> progress.add(done + "/" + total + " " + source + " " + chunks));
      assertTrue(summary.chunks() >= 8, "chunks " + summary.chunks());
      assertEquals(1, summary.documents());
      assertEquals(List.of(new IngestSummary.Skipped("p2", "empty after cleaning")), summary.skipped());
      // The empty post is reported when it is seen, the long one when its batch is stored.
      assertEquals(List.of("1/2 p2 0", "2/2 p1 " + summary.chunks()), progress);
      assertEquals(summary.chunks(), store.count("posts"));
    }
  }

  /** Batches are written on a thread of their own; a failed write still fails the ingestion, on the caller's thread. */
  @Test
  void aStoreThatFailsFailsTheIngestionAndNothingCountsAsStored(@TempDir Path dir) {
    LuceneVectorStore store = new LuceneVectorStore(dir);
    store.close();
    Ingestor ingestor = new Ingestor(SharedEmbedder.get(), store, AuthorDirectory.inMemory(), 40, 10);
    List<String> progress = new ArrayList<>();
    VectorStoreException e = assertThrows(VectorStoreException.class, () -> ingestor.ingestDocuments(List.of(
            new SourceDocument(new Author("ada", "Ada Lovelace"), DocumentType.POSTS, "p1", "The analytical engine weaves.",
                TextFormat.PLAIN)),
        (done, total, source, chunks) -> progress.add(source)));
    assertTrue(e.getMessage().contains("closed"), e.getMessage());
    assertEquals(List.of(), progress);
  }
}
