package dev.twinmesh.rag.store;

import static io.qdrant.client.ConditionFactory.matchKeyword;
import static io.qdrant.client.ValueFactory.value;

import com.google.common.util.concurrent.ListenableFuture;
import io.qdrant.client.PointIdFactory;
import io.qdrant.client.QdrantClient;
import io.qdrant.client.QdrantGrpcClient;
import io.qdrant.client.QueryFactory;
import io.qdrant.client.VectorOutputHelper;
import io.qdrant.client.VectorsFactory;
import io.qdrant.client.WithPayloadSelectorFactory;
import io.qdrant.client.WithVectorsSelectorFactory;
import io.qdrant.client.grpc.Collections.PayloadSchemaType;
import io.qdrant.client.grpc.Collections.VectorParams;
import io.qdrant.client.grpc.Common.Filter;
import io.qdrant.client.grpc.JsonWithInt.Value;
import io.qdrant.client.grpc.Points.PointStruct;
import io.qdrant.client.grpc.Points.QueryPoints;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * The production vector store: Qdrant over gRPC. Collections are created with the vector size and
 * distance, and a keyword payload index on the author id that every search filters on.
 */
public final class QdrantVectorStore implements VectorStore {
  private static final int BATCH = 128;

  private final QdrantClient client;
  private final String where;
  private final Duration timeout;
  /** Collections known to exist: a search need not ask again. Only this store's deletes remove entries. */
  private final Set<String> known = ConcurrentHashMap.newKeySet();

  /**
   * @param url     the gRPC endpoint, e.g. {@code http://localhost:6334} ({@code https} for TLS)
   * @param apiKey  Qdrant's API key, or null
   * @param timeout the deadline of each call
   */
  public QdrantVectorStore(String url, String apiKey, Duration timeout) {
    URI uri = URI.create(url);
    if (uri.getHost() == null) {
      throw new IllegalArgumentException("Qdrant URL needs a host: " + url);
    }
    boolean tls = "https".equalsIgnoreCase(uri.getScheme());
    int port = uri.getPort() > 0 ? uri.getPort() : 6334;
    QdrantGrpcClient.Builder grpc = QdrantGrpcClient.newBuilder(uri.getHost(), port, tls, false).withTimeout(timeout);
    if (apiKey != null && !apiKey.isBlank()) {
      grpc.withApiKey(apiKey);
    }
    this.client = new QdrantClient(grpc.build());
    this.where = uri.getHost() + ":" + port;
    this.timeout = timeout;
  }

  @Override
  public void ensureCollection(String collection, int dimension, Distance distance) {
    io.qdrant.client.grpc.Collections.Distance qdrantDistance = distance == Distance.COSINE
        ? io.qdrant.client.grpc.Collections.Distance.Cosine
        : io.qdrant.client.grpc.Collections.Distance.Dot;
    if (collectionExists(collection)) {
      VectorParams existing = await(client.getCollectionInfoAsync(collection), "describe collection " + collection)
          .getConfig().getParams().getVectorsConfig().getParams();
      if (existing.getSize() != dimension || existing.getDistance() != qdrantDistance) {
        throw new VectorStoreException("collection " + collection + " exists with " + existing.getSize() + " dims and "
            + existing.getDistance() + ", not " + dimension + " and " + qdrantDistance);
      }
    } else {
      VectorParams params = VectorParams.newBuilder().setSize(dimension).setDistance(qdrantDistance).build();
      await(client.createCollectionAsync(collection, params), "create collection " + collection);
      known.add(collection);
    }
    // Idempotent on the server: an existing index with the same schema is left as it is.
    await(client.createPayloadIndexAsync(collection, ChunkPayload.AUTHOR_ID, PayloadSchemaType.Keyword,
        null, true, null, null), "index " + ChunkPayload.AUTHOR_ID + " of " + collection);
  }

  @Override
  public boolean collectionExists(String collection) {
    if (known.contains(collection)) {
      return true;
    }
    boolean exists = await(client.collectionExistsAsync(collection), "look up collection " + collection);
    if (exists) {
      known.add(collection);
    }
    return exists;
  }

  @Override
  public void upsert(String collection, List<VectorPoint> points) {
    for (int from = 0; from < points.size(); from += BATCH) {
      List<PointStruct> batch = new ArrayList<>();
      for (VectorPoint point : points.subList(from, Math.min(points.size(), from + BATCH))) {
        batch.add(PointStruct.newBuilder()
            .setId(PointIdFactory.id(UUID.fromString(point.id())))
            .setVectors(VectorsFactory.vectors(point.vector()))
            .putAllPayload(payload(point.payload()))
            .build());
      }
      await(client.upsertAsync(collection, batch), "upsert into " + collection);
    }
  }

  @Override
  public List<ScoredPoint> search(String collection, float[] vector, String authorId, int topK) {
    if (!collectionExists(collection)) {
      return List.of();
    }
    QueryPoints.Builder query = QueryPoints.newBuilder()
        .setCollectionName(collection)
        .setQuery(QueryFactory.nearest(vector))
        .setLimit(topK)
        .setWithPayload(WithPayloadSelectorFactory.enable(true))
        .setWithVectors(WithVectorsSelectorFactory.enable(true));
    if (authorId != null) {
      query.setFilter(Filter.newBuilder().addMust(matchKeyword(ChunkPayload.AUTHOR_ID, authorId)).build());
    }
    List<ScoredPoint> out = new ArrayList<>();
    for (io.qdrant.client.grpc.Points.ScoredPoint hit : await(client.queryAsync(query.build()), "search " + collection)) {
      List<Float> data = VectorOutputHelper.getDenseVector(hit.getVectors().getVector()).getDataList();
      float[] v = new float[data.size()];
      for (int i = 0; i < v.length; i++) {
        v[i] = data.get(i);
      }
      out.add(new ScoredPoint(hit.getId().getUuid(), hit.getScore(), payload(hit.getPayloadMap()), v));
    }
    return out;
  }

  @Override
  public long count(String collection) {
    if (!collectionExists(collection)) {
      return 0;
    }
    return await(client.countAsync(collection, null, true), "count " + collection);
  }

  @Override
  public void deleteCollection(String collection) {
    if (collectionExists(collection)) {
      known.remove(collection);
      await(client.deleteCollectionAsync(collection), "delete collection " + collection);
    }
  }

  @Override
  public void close() {
    client.close();
  }

  private static Map<String, Value> payload(ChunkPayload p) {
    return Map.of(
        ChunkPayload.AUTHOR_ID, value(p.authorId()),
        ChunkPayload.AUTHOR_NAME, value(p.authorName()),
        ChunkPayload.TYPE, value(p.type()),
        ChunkPayload.SOURCE, value(p.source()),
        ChunkPayload.CONTENT, value(p.content()),
        ChunkPayload.CHUNK_INDEX, value(p.chunkIndex()),
        ChunkPayload.CONTENT_HASH, value(p.contentHash()));
  }

  private static ChunkPayload payload(Map<String, Value> p) {
    return new ChunkPayload(string(p, ChunkPayload.AUTHOR_ID), string(p, ChunkPayload.AUTHOR_NAME),
        string(p, ChunkPayload.TYPE), string(p, ChunkPayload.SOURCE), string(p, ChunkPayload.CONTENT),
        p.containsKey(ChunkPayload.CHUNK_INDEX) ? (int) p.get(ChunkPayload.CHUNK_INDEX).getIntegerValue() : 0,
        string(p, ChunkPayload.CONTENT_HASH));
  }

  private static String string(Map<String, Value> p, String key) {
    Value v = p.get(key);
    return v == null ? null : v.getStringValue();
  }

  private <T> T await(ListenableFuture<T> future, String what) {
    try {
      // The gRPC deadline fires first; this bound only guards against a call that never starts.
      return future.get(timeout.toMillis() + 5_000, TimeUnit.MILLISECONDS);
    } catch (ExecutionException e) {
      Throwable cause = e.getCause() == null ? e : e.getCause();
      throw new VectorStoreException("Qdrant at " + where + ": cannot " + what + ": " + cause.getMessage(), cause);
    } catch (TimeoutException e) {
      future.cancel(true);
      throw new VectorStoreException("Qdrant at " + where + ": cannot " + what + ": no answer in " + timeout, e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new VectorStoreException("interrupted while Qdrant was asked to " + what, e);
    }
  }
}
