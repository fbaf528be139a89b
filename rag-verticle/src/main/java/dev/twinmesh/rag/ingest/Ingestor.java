package dev.twinmesh.rag.ingest;

import dev.twinmesh.rag.Author;
import dev.twinmesh.rag.AuthorDirectory;
import dev.twinmesh.rag.embed.Embedder;
import dev.twinmesh.rag.store.ChunkPayload;
import dev.twinmesh.rag.store.Distance;
import dev.twinmesh.rag.store.VectorPoint;
import dev.twinmesh.rag.store.VectorStore;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Puts an author's writing into the vector store: clean, chunk by the embedding model's tokens, embed,
 * upsert into the collection of its type. Point ids come from the content, so ingesting the same text
 * twice stores nothing new. Blocking: run it on a worker thread or from the command line.
 */
public final class Ingestor {
  private static final Logger LOG = LoggerFactory.getLogger(Ingestor.class);
  /** Chunks embedded and upserted together: one model call and one commit per collection for many documents. */
  private static final int BATCH_CHUNKS = 32;

  private final Embedder embedder;
  private final VectorStore store;
  private final AuthorDirectory authors;
  private final Chunker chunker;
  private final SourceReader reader = new SourceReader();

  public Ingestor(Embedder embedder, VectorStore store, AuthorDirectory authors, int chunkSize, int chunkOverlap) {
    this.embedder = embedder;
    this.store = store;
    this.authors = authors;
    this.chunker = new Chunker(embedder, chunkSize, chunkOverlap);
  }

  /** A whole ingestion tree (see {@link SourceReader}): one folder per author. */
  public IngestSummary ingestTree(Path root, IngestProgress progress) throws IOException {
    return ingest(reader.readTree(root), progress);
  }

  /** One post or article file, or a JSON export of many. */
  public IngestSummary ingestFile(Path file, Author author, DocumentType type, IngestProgress progress) {
    return ingest(reader.readFile(file, author, type), progress);
  }

  /** A code repository checked out at {@code dir}; {@code link} (may be null) prefixes each file's path as its source. */
  public IngestSummary ingestRepository(Path dir, Author author, String link, IngestProgress progress) throws IOException {
    return ingest(reader.readRepository(dir, author, link), progress);
  }

  /** Documents already in memory. */
  public IngestSummary ingestDocuments(List<SourceDocument> documents, IngestProgress progress) {
    return ingest(new SourceReader.Read(new ArrayList<>(documents), 0, new ArrayList<>()), progress);
  }

  /** What a {@link SourceReader} read: its skipped files are carried into the summary. */
  public IngestSummary ingest(SourceReader.Read read, IngestProgress progress) {
    long started = System.currentTimeMillis();
    List<SourceDocument> all = read.documents();
    Batch batch = new Batch(new ArrayList<>(read.skipped()), progress, all.size());
    try (BackgroundWriter writer = new BackgroundWriter()) {
      for (SourceDocument doc : all) {
        String text = TextCleaner.clean(doc.text(), doc.format());
        if (text.isBlank()) {
          batch.skipped.add(new IngestSummary.Skipped(doc.source(), "empty after cleaning"));
          batch.reportDone(doc, 0);
          continue;
        }
        batch.add(doc, chunker.chunk(text));
        if (batch.pendingChunks() >= BATCH_CHUNKS) {
          flush(batch, writer);
        }
      }
      flush(batch, writer);
      writer.await();
    }
    IngestSummary summary = new IngestSummary(read.files(), batch.documents, batch.chunks, batch.perCollection,
        batch.skipped, System.currentTimeMillis() - started);
    LOG.info("ingested {} documents from {} files into {} chunks {}, skipped {}, in {} ms", batch.documents,
        read.files(), batch.chunks, batch.perCollection, batch.skipped.size(), summary.tookMs());
    return summary;
  }

  /**
   * Embeds the pending chunks in one go and hands them to {@code writer}, which upserts them (one call per collection)
   * while the next batch is cleaned, chunked and embedded; the documents count as done once their write is.
   */
  private void flush(Batch batch, BackgroundWriter writer) {
    if (batch.pending.isEmpty()) {
      return;
    }
    List<Pending> pending = List.copyOf(batch.pending);
    batch.pending.clear();
    List<String> texts = pending.stream().flatMap(p -> p.chunks().stream()).toList();
    List<float[]> vectors = embedder.embed(texts);
    Map<String, List<VectorPoint>> byCollection = new LinkedHashMap<>();
    int v = 0;
    for (Pending p : pending) {
      Author author = p.doc().author();
      String collection = p.doc().type().collection();
      for (int c = 0; c < p.chunks().size(); c++) {
        String content = p.chunks().get(c);
        ChunkPayload payload = new ChunkPayload(author.id(), author.name(), collection, p.doc().source(),
            content, c, PointIds.sha256Hex(content));
        byCollection.computeIfAbsent(collection, k -> new ArrayList<>())
            .add(new VectorPoint(PointIds.pointId(author.id(), content), vectors.get(v++), payload));
      }
    }
    writer.submit(() -> byCollection.forEach((collection, points) -> {
      store.ensureCollection(collection, embedder.dimension(), Distance.COSINE);
      store.upsert(collection, points);
    }), () -> {
      for (Pending p : pending) {
        authors.register(p.doc().author());
        batch.documents++;
        batch.chunks += p.chunks().size();
        batch.perCollection.merge(p.doc().type().collection(), p.chunks().size(), Integer::sum);
        batch.reportDone(p.doc(), p.chunks().size());
      }
    });
  }

  private record Pending(SourceDocument doc, List<String> chunks) {}

  /** Chunks waiting to be embedded together, and the running totals of the summary. */
  private static final class Batch {
    final List<Pending> pending = new ArrayList<>();
    final List<IngestSummary.Skipped> skipped;
    final Map<String, Integer> perCollection = new LinkedHashMap<>();
    final IngestProgress progress;
    final int total;
    int done;
    int documents;
    int chunks;

    Batch(List<IngestSummary.Skipped> skipped, IngestProgress progress, int total) {
      this.skipped = skipped;
      this.progress = progress;
      this.total = total;
    }

    void add(SourceDocument doc, List<String> docChunks) {
      pending.add(new Pending(doc, docChunks));
    }

    int pendingChunks() {
      return pending.stream().mapToInt(p -> p.chunks().size()).sum();
    }

    void reportDone(SourceDocument doc, int stored) {
      progress.documentDone(++done, total, doc.source(), stored);
    }
  }
}
