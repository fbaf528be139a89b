package dev.twinmesh.rag.store;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** What every {@link VectorStore} promises. Each implementation's test extends this with a way to open one. */
abstract class VectorStoreContractTest {
  static final int DIM = 4;

  VectorStore store;
  String collection;

  /** A store to test; implementations that cannot reach their server skip here with an assumption. */
  abstract VectorStore openStore() throws Exception;

  @BeforeEach
  void setUp() throws Exception {
    store = openStore();
    collection = "contract_" + UUID.randomUUID().toString().substring(0, 8);
    store.ensureCollection(collection, DIM, Distance.COSINE);
  }

  /** Called after the store is closed, for implementations that started a server. */
  void afterStoreClosed() {}

  @AfterEach
  void tearDown() {
    try {
      if (store != null) {
        try {
          store.deleteCollection(collection);
        } finally {
          store.close();
        }
      }
    } finally {
      afterStoreClosed();
    }
  }

  @Test
  void ensuringACollectionTwiceKeepsItsPoints() {
    store.upsert(collection, List.of(point("ada", 1, 0, 0, 0)));
    store.ensureCollection(collection, DIM, Distance.COSINE);
    assertTrue(store.collectionExists(collection));
    assertEquals(1, store.count(collection));
  }

  @Test
  void aCollectionCannotChangeItsDimension() {
    assertThrows(VectorStoreException.class, () -> store.ensureCollection(collection, DIM + 1, Distance.COSINE));
  }

  @Test
  void upsertingTheSameIdsAgainReplacesInsteadOfAdding() {
    VectorPoint a = point("ada", 1, 0, 0, 0);
    VectorPoint b = point("ada", 0, 1, 0, 0);
    store.upsert(collection, List.of(a, b));
    store.upsert(collection, List.of(a, b));
    assertEquals(2, store.count(collection));
  }

  @Test
  void manyPointsAreUpsertedInBatches() {
    List<VectorPoint> points = new ArrayList<>();
    for (int i = 0; i < 300; i++) {
      points.add(point(i % 2 == 0 ? "ada" : "alan", 1, i, 0.5f, -i));
    }
    store.upsert(collection, points);
    assertEquals(300, store.count(collection));
  }

  @Test
  void searchReturnsTheNearestFirstWithCosineScores() {
    VectorPoint exact = point("ada", 1, 0, 0, 0);
    VectorPoint close = point("ada", 1, 1, 0, 0);
    VectorPoint far = point("ada", 0, 0, 1, 0);
    store.upsert(collection, List.of(far, exact, close));
    List<ScoredPoint> hits = store.search(collection, new float[] {2, 0, 0, 0}, null, 3);
    assertEquals(List.of(exact.id(), close.id(), far.id()), hits.stream().map(ScoredPoint::id).toList());
    assertEquals(1.0, hits.get(0).score(), 1e-3);
    assertEquals(Math.sqrt(0.5), hits.get(1).score(), 1e-3);
    assertEquals(0.0, hits.get(2).score(), 1e-3);
  }

  @Test
  void searchFiltersByAuthorEvenWhenOthersAreCloser() {
    VectorPoint alansExact = point("alan", 1, 0, 0, 0);
    VectorPoint adasFar = point("ada", 0, 1, 0, 0);
    VectorPoint adasNear = point("ada", 1, 0.2f, 0, 0);
    store.upsert(collection, List.of(alansExact, adasFar, adasNear));
    List<ScoredPoint> hits = store.search(collection, new float[] {1, 0, 0, 0}, "ada", 5);
    assertEquals(List.of(adasNear.id(), adasFar.id()), hits.stream().map(ScoredPoint::id).toList());
    assertTrue(store.search(collection, new float[] {1, 0, 0, 0}, "nobody", 5).isEmpty());
  }

  @Test
  void searchReturnsAtMostTopK() {
    for (int i = 0; i < 10; i++) {
      store.upsert(collection, List.of(point("ada", 1, i, 0, 0)));
    }
    assertEquals(3, store.search(collection, new float[] {1, 0, 0, 0}, "ada", 3).size());
  }

  @Test
  void payloadAndVectorComeBackAsStored() {
    VectorPoint p = point("ada", 0.5f, 0.5f, 0.5f, 0.5f);
    store.upsert(collection, List.of(p));
    ScoredPoint hit = store.search(collection, p.vector(), "ada", 1).get(0);
    assertEquals(p.payload(), hit.payload());
    assertArrayEquals(p.vector(), hit.vector(), 1e-6f);
  }

  @Test
  void aMissingCollectionHasNoPoints() {
    assertFalse(store.collectionExists("contract_missing"));
    assertEquals(0, store.count("contract_missing"));
    assertTrue(store.search("contract_missing", new float[] {1, 0, 0, 0}, "ada", 5).isEmpty());
    store.deleteCollection("contract_missing");
  }

  @Test
  void deletingACollectionRemovesItsPoints() {
    store.upsert(collection, List.of(point("ada", 1, 0, 0, 0)));
    store.deleteCollection(collection);
    assertFalse(store.collectionExists(collection));
    assertEquals(0, store.count(collection));
  }

  static VectorPoint point(String author, float... vector) {
    String id = UUID.randomUUID().toString();
    String content = author + " wrote " + id;
    return new VectorPoint(id, vector,
        new ChunkPayload(author, author.toUpperCase(), "posts", "https://example.org/" + id, content, 3, "hash-" + id));
  }
}
