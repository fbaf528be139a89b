package dev.twinmesh.rag.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The Qdrant store against {@link FakeQdrantServer}: the whole contract, plus the requests Qdrant needs
 * to see (vector size and cosine distance, a keyword index on the author, waited upserts, author filters).
 */
class QdrantClientSideTest extends VectorStoreContractTest {
  private FakeQdrantServer server;

  @Override
  VectorStore openStore() throws Exception {
    server = new FakeQdrantServer();
    return new QdrantVectorStore(server.url(), null, Duration.ofSeconds(5));
  }

  @Override
  void afterStoreClosed() {
    if (server != null) {
      server.close();
    }
  }

  @Test
  void theCollectionIsCreatedWithSizeCosineAndAKeywordIndexOnTheAuthor() {
    FakeQdrantServer.Collection c = server.collections.get(collection);
    assertEquals(DIM, c.params().getSize());
    assertEquals(io.qdrant.client.grpc.Collections.Distance.Cosine, c.params().getDistance());
    assertEquals("FieldTypeKeyword", c.indexes().get(ChunkPayload.AUTHOR_ID));
  }

  @Test
  void upsertsWaitAndGoInBatchesAndSearchesFilterOnTheAuthorId() {
    List<VectorPoint> points = new java.util.ArrayList<>();
    for (int i = 0; i < 130; i++) {
      points.add(point("ada", 1, i, 0, 0));
    }
    store.upsert(collection, points);
    store.search(collection, new float[] {1, 0, 0, 0}, "ada", 5);
    assertTrue(server.calls.contains("upsert " + collection + " 128 wait=true"), server.calls.toString());
    assertTrue(server.calls.contains("upsert " + collection + " 2 wait=true"), server.calls.toString());
    assertTrue(server.calls.contains("query " + collection + " limit=5 filter=[author_id=ada]"), server.calls.toString());
  }

  @Test
  void aSearchDoesNotAskAgainWhetherAKnownCollectionExists() {
    server.calls.clear();
    store.search(collection, new float[] {1, 0, 0, 0}, null, 5);
    store.search(collection, new float[] {1, 0, 0, 0}, null, 5);
    assertEquals(2, server.calls.size(), server.calls.toString());
  }
}
