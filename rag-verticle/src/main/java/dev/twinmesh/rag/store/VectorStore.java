package dev.twinmesh.rag.store;

import java.util.List;

/**
 * Where chunk vectors live: one collection per document type, each point filtered by its author.
 * Every method blocks (disk or network): call them from worker threads, never from an event loop.
 * Failures are {@link VectorStoreException}s.
 */
public interface VectorStore extends AutoCloseable {

  /** Creates the collection with this vector size and distance, and an index on the author id, unless it exists. */
  void ensureCollection(String collection, int dimension, Distance distance);

  boolean collectionExists(String collection);

  /** Inserts or replaces points by id, in batches; durable when it returns. */
  void upsert(String collection, List<VectorPoint> points);

  /**
   * The {@code topK} points most similar to {@code vector}, best first, only the author's when
   * {@code authorId} is not null. A collection that does not exist has no points.
   */
  List<ScoredPoint> search(String collection, float[] vector, String authorId, int topK);

  /** Points in the collection; 0 when it does not exist. */
  long count(String collection);

  /** Deletes the collection and its points; nothing when it does not exist. */
  void deleteCollection(String collection);

  @Override
  void close();
}
