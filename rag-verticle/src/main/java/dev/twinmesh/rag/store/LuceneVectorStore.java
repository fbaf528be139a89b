package dev.twinmesh.rag.store;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.apache.lucene.document.Document;
import org.apache.lucene.document.Field;
import org.apache.lucene.document.KnnFloatVectorField;
import org.apache.lucene.document.StoredField;
import org.apache.lucene.document.StringField;
import org.apache.lucene.index.IndexWriter;
import org.apache.lucene.index.IndexWriterConfig;
import org.apache.lucene.index.StoredFields;
import org.apache.lucene.index.Term;
import org.apache.lucene.index.VectorSimilarityFunction;
import org.apache.lucene.search.IndexSearcher;
import org.apache.lucene.search.KnnFloatVectorQuery;
import org.apache.lucene.search.Query;
import org.apache.lucene.search.ScoreDoc;
import org.apache.lucene.search.SearcherManager;
import org.apache.lucene.search.TermQuery;
import org.apache.lucene.store.Directory;
import org.apache.lucene.store.FSDirectory;
import org.apache.lucene.util.BytesRef;

/**
 * The one-machine vector store: each collection is a Lucene index on local disk (HNSW graph over
 * {@link KnnFloatVectorField}s, the author id as an indexed term that filters the search). Every upsert
 * is committed, so the data survives restarts. One store per directory: it holds a lock on the directory while
 * open, and a second store on it, in this process or another, fails with {@link StoreLockedException}.
 */
public final class LuceneVectorStore implements VectorStore {
  private static final Pattern NAME = Pattern.compile("[A-Za-z0-9_-]{1,64}");
  private static final String META_FILE = "collection.properties";
  private static final String ID = "id";
  private static final String VECTOR = "vector";
  private static final String VECTOR_BYTES = "vector_bytes";
  private static final int BATCH = 256;
  private static final String LOCK_FILE = "store.lock";

  private final Path root;
  private final Map<String, Collection> open = new ConcurrentHashMap<>();
  private final FileLock lock;
  private volatile boolean closed;

  public LuceneVectorStore(Path root) {
    this.root = root;
    try {
      Files.createDirectories(root);
    } catch (IOException e) {
      throw new VectorStoreException("cannot create the vector store directory " + root + ": " + e.getMessage(), e);
    }
    this.lock = lock(root);
  }

  /**
   * Holds the whole store for this process from the start, not only the collections it has opened: a second
   * process (or a second store in this JVM) is refused at once instead of failing halfway through an ingestion,
   * and never writes collections or the author directory behind the running mesh's back.
   */
  private static FileLock lock(Path root) {
    Path file = root.resolve(LOCK_FILE);
    FileChannel channel = null;
    try {
      channel = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE);
      FileLock lock = channel.tryLock();
      if (lock != null) {
        return lock;
      }
    } catch (OverlappingFileLockException e) {
      // held by another store in this JVM: refused below
    } catch (IOException e) {
      closeQuietly(channel);
      throw new VectorStoreException("cannot lock the vector store " + root + ": " + e.getMessage(), e);
    }
    closeQuietly(channel);
    throw new StoreLockedException(root);
  }

  private static void closeQuietly(FileChannel channel) {
    try {
      if (channel != null) {
        channel.close();
      }
    } catch (IOException ignored) {
      // nothing was locked through it
    }
  }

  public Path root() {
    return root;
  }

  @Override
  public synchronized void ensureCollection(String collection, int dimension, Distance distance) {
    Path dir = directoryOf(collection);
    if (Files.exists(dir.resolve(META_FILE))) {
      Collection existing = collection(collection);
      if (existing.dimension != dimension || existing.distance != distance) {
        throw new VectorStoreException("collection " + collection + " exists with " + existing.dimension + " dims and "
            + existing.distance + ", not " + dimension + " and " + distance);
      }
      return;
    }
    try {
      Files.createDirectories(dir);
      Properties meta = new Properties();
      meta.setProperty("dimension", String.valueOf(dimension));
      meta.setProperty("distance", distance.name());
      try (OutputStream out = Files.newOutputStream(dir.resolve(META_FILE))) {
        meta.store(out, "twin-mesh vector collection");
      }
    } catch (IOException e) {
      throw new VectorStoreException("cannot create collection " + collection + ": " + e.getMessage(), e);
    }
    collection(collection);
  }

  @Override
  public boolean collectionExists(String collection) {
    return Files.exists(directoryOf(collection).resolve(META_FILE));
  }

  @Override
  public void upsert(String collection, List<VectorPoint> points) {
    Collection c = existing(collection);
    try {
      for (int from = 0; from < points.size(); from += BATCH) {
        for (VectorPoint point : points.subList(from, Math.min(points.size(), from + BATCH))) {
          c.writer.updateDocument(new Term(ID, point.id()), c.document(point));
        }
        c.writer.commit();
      }
      c.searchers.maybeRefreshBlocking();
    } catch (IOException | IllegalArgumentException e) {
      throw new VectorStoreException("upsert into " + collection + " failed: " + e.getMessage(), e);
    }
  }

  @Override
  public List<ScoredPoint> search(String collection, float[] vector, String authorId, int topK) {
    if (!collectionExists(collection)) {
      return List.of();
    }
    Collection c = existing(collection);
    Query filter = authorId == null ? null : new TermQuery(new Term(ChunkPayload.AUTHOR_ID, authorId));
    try {
      IndexSearcher searcher = c.searchers.acquire();
      try {
        ScoreDoc[] hits = searcher.search(new KnnFloatVectorQuery(VECTOR, vector, topK, filter), topK).scoreDocs;
        StoredFields stored = searcher.storedFields();
        List<ScoredPoint> out = new ArrayList<>(hits.length);
        for (ScoreDoc hit : hits) {
          out.add(c.point(stored.document(hit.doc), hit.score));
        }
        out.sort(Comparator.comparingDouble(ScoredPoint::score).reversed());
        return out;
      } finally {
        c.searchers.release(searcher);
      }
    } catch (IOException | IllegalArgumentException e) {
      throw new VectorStoreException("search in " + collection + " failed: " + e.getMessage(), e);
    }
  }

  @Override
  public long count(String collection) {
    if (!collectionExists(collection)) {
      return 0;
    }
    Collection c = existing(collection);
    try {
      c.searchers.maybeRefreshBlocking();
      IndexSearcher searcher = c.searchers.acquire();
      try {
        return searcher.getIndexReader().numDocs();
      } finally {
        c.searchers.release(searcher);
      }
    } catch (IOException e) {
      throw new VectorStoreException("count of " + collection + " failed: " + e.getMessage(), e);
    }
  }

  @Override
  public synchronized void deleteCollection(String collection) {
    Collection c = open.remove(collection);
    if (c != null) {
      c.close();
    }
    Path dir = directoryOf(collection);
    if (!Files.exists(dir)) {
      return;
    }
    try (Stream<Path> files = Files.walk(dir)) {
      for (Path p : files.sorted(Comparator.reverseOrder()).toList()) {
        Files.delete(p);
      }
    } catch (IOException e) {
      throw new VectorStoreException("cannot delete collection " + collection + ": " + e.getMessage(), e);
    }
  }

  @Override
  public synchronized void close() {
    if (closed) {
      return;
    }
    closed = true;
    try {
      open.values().forEach(Collection::close);
      open.clear();
    } finally {
      closeQuietly(lock.channel());
    }
  }

  private Collection existing(String collection) {
    if (!collectionExists(collection)) {
      throw new VectorStoreException("no collection named " + collection + " in " + root);
    }
    return collection(collection);
  }

  private Collection collection(String name) {
    if (closed) {
      throw new VectorStoreException("the vector store at " + root + " is closed");
    }
    return open.computeIfAbsent(name, n -> Collection.open(n, directoryOf(n)));
  }

  private Path directoryOf(String collection) {
    if (collection == null || !NAME.matcher(collection).matches()) {
      throw new VectorStoreException("bad collection name '" + collection + "': letters, digits, '_' and '-' only");
    }
    return root.resolve(collection);
  }

  /** One open index: its writer, its searchers, and how its vectors compare. */
  private static final class Collection {
    final int dimension;
    final Distance distance;
    final IndexWriter writer;
    final SearcherManager searchers;
    private final Directory directory;
    private final VectorSimilarityFunction similarity;

    private Collection(int dimension, Distance distance, Directory directory, IndexWriter writer,
                       SearcherManager searchers) {
      this.dimension = dimension;
      this.directory = directory;
      this.distance = distance;
      this.writer = writer;
      this.searchers = searchers;
      this.similarity = distance == Distance.COSINE ? VectorSimilarityFunction.COSINE
          : VectorSimilarityFunction.DOT_PRODUCT;
    }

    static Collection open(String name, Path dir) {
      try {
        Properties meta = new Properties();
        try (InputStream in = Files.newInputStream(dir.resolve(META_FILE))) {
          meta.load(in);
        }
        Directory directory = FSDirectory.open(dir);
        IndexWriter writer = new IndexWriter(directory,
            new IndexWriterConfig().setOpenMode(IndexWriterConfig.OpenMode.CREATE_OR_APPEND));
        return new Collection(Integer.parseInt(meta.getProperty("dimension")),
            Distance.valueOf(meta.getProperty("distance")), directory, writer, new SearcherManager(writer, null));
      } catch (IOException | RuntimeException e) {
        throw new VectorStoreException("cannot open collection " + name + " at " + dir + ": " + e.getMessage(), e);
      }
    }

    Document document(VectorPoint point) {
      if (point.vector().length != dimension) {
        throw new IllegalArgumentException("point " + point.id() + " has " + point.vector().length
            + " dimensions, the collection " + dimension);
      }
      ChunkPayload p = point.payload();
      Document doc = new Document();
      doc.add(new StringField(ID, point.id(), Field.Store.YES));
      doc.add(new KnnFloatVectorField(VECTOR, point.vector(), similarity));
      doc.add(new StoredField(VECTOR_BYTES, toBytes(point.vector())));
      doc.add(new StringField(ChunkPayload.AUTHOR_ID, p.authorId(), Field.Store.YES));
      doc.add(new StoredField(ChunkPayload.AUTHOR_NAME, p.authorName()));
      doc.add(new StringField(ChunkPayload.TYPE, p.type(), Field.Store.YES));
      doc.add(new StoredField(ChunkPayload.SOURCE, p.source()));
      doc.add(new StoredField(ChunkPayload.CONTENT, p.content()));
      doc.add(new StoredField(ChunkPayload.CHUNK_INDEX, p.chunkIndex()));
      doc.add(new StoredField(ChunkPayload.CONTENT_HASH, p.contentHash()));
      return doc;
    }

    /** Lucene scores cosine and dot product as (1 + similarity) / 2; callers get the similarity back. */
    ScoredPoint point(Document doc, float luceneScore) {
      ChunkPayload payload = new ChunkPayload(doc.get(ChunkPayload.AUTHOR_ID), doc.get(ChunkPayload.AUTHOR_NAME),
          doc.get(ChunkPayload.TYPE), doc.get(ChunkPayload.SOURCE), doc.get(ChunkPayload.CONTENT),
          doc.getField(ChunkPayload.CHUNK_INDEX).numericValue().intValue(), doc.get(ChunkPayload.CONTENT_HASH));
      return new ScoredPoint(doc.get(ID), 2.0 * luceneScore - 1.0, payload, fromBytes(doc.getBinaryValue(VECTOR_BYTES)));
    }

    void close() {
      try {
        searchers.close();
        writer.close();
        directory.close();
      } catch (IOException e) {
        throw new VectorStoreException("cannot close collection: " + e.getMessage(), e);
      }
    }

    private static BytesRef toBytes(float[] v) {
      ByteBuffer buf = ByteBuffer.allocate(v.length * Float.BYTES).order(ByteOrder.LITTLE_ENDIAN);
      buf.asFloatBuffer().put(v);
      return new BytesRef(buf.array());
    }

    private static float[] fromBytes(BytesRef bytes) {
      float[] v = new float[bytes.length / Float.BYTES];
      ByteBuffer.wrap(bytes.bytes, bytes.offset, bytes.length).order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(v);
      return v;
    }
  }
}
