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

  private IngestSummary ingest(SourceReader.Read read, IngestProgress progress) {
    long started = System.currentTimeMillis();
    List<IngestSummary.Skipped> skipped = new ArrayList<>(read.skipped());
    Map<String, Integer> perCollection = new LinkedHashMap<>();
    int documents = 0;
    int chunks = 0;
    List<SourceDocument> all = read.documents();
    for (int i = 0; i < all.size(); i++) {
      SourceDocument doc = all.get(i);
      int stored = ingestOne(doc, skipped);
      if (stored > 0) {
        documents++;
        chunks += stored;
        perCollection.merge(doc.type().collection(), stored, Integer::sum);
      }
      progress.documentDone(i + 1, all.size(), doc.source(), stored);
    }
    IngestSummary summary = new IngestSummary(read.files(), documents, chunks, perCollection, skipped,
        System.currentTimeMillis() - started);
    LOG.info("ingested {} documents from {} files into {} chunks {}, skipped {}, in {} ms", documents, read.files(),
        chunks, perCollection, skipped.size(), summary.tookMs());
    return summary;
  }

  private int ingestOne(SourceDocument doc, List<IngestSummary.Skipped> skipped) {
    String text = TextCleaner.clean(doc.text(), doc.format());
    if (text.isBlank()) {
      skipped.add(new IngestSummary.Skipped(doc.source(), "empty after cleaning"));
      return 0;
    }
    List<String> pieces = chunker.chunk(text);
    List<float[]> vectors = embedder.embed(pieces);
    Author author = doc.author();
    List<VectorPoint> points = new ArrayList<>(pieces.size());
    for (int c = 0; c < pieces.size(); c++) {
      String content = pieces.get(c);
      ChunkPayload payload = new ChunkPayload(author.id(), author.name(), doc.type().collection(), doc.source(),
          content, c, PointIds.sha256Hex(content));
      points.add(new VectorPoint(PointIds.pointId(author.id(), content), vectors.get(c), payload));
    }
    String collection = doc.type().collection();
    store.ensureCollection(collection, embedder.dimension(), Distance.COSINE);
    store.upsert(collection, points);
    authors.register(author);
    return points.size();
  }
}
