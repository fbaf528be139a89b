package dev.twinmesh.rag.store;

import io.grpc.Grpc;
import io.grpc.InsecureServerCredentials;
import io.grpc.Server;
import io.grpc.Status;
import io.grpc.stub.StreamObserver;
import io.qdrant.client.grpc.Collections.CollectionConfig;
import io.qdrant.client.grpc.Collections.CollectionExists;
import io.qdrant.client.grpc.Collections.CollectionExistsRequest;
import io.qdrant.client.grpc.Collections.CollectionExistsResponse;
import io.qdrant.client.grpc.Collections.CollectionInfo;
import io.qdrant.client.grpc.Collections.CollectionOperationResponse;
import io.qdrant.client.grpc.Collections.CollectionParams;
import io.qdrant.client.grpc.Collections.CreateCollection;
import io.qdrant.client.grpc.Collections.DeleteCollection;
import io.qdrant.client.grpc.Collections.GetCollectionInfoRequest;
import io.qdrant.client.grpc.Collections.GetCollectionInfoResponse;
import io.qdrant.client.grpc.Collections.VectorParams;
import io.qdrant.client.grpc.Collections.VectorsConfig;
import io.qdrant.client.grpc.CollectionsGrpc;
import io.qdrant.client.grpc.Common.Condition;
import io.qdrant.client.grpc.JsonWithInt.Value;
import io.qdrant.client.grpc.Points.CountPoints;
import io.qdrant.client.grpc.Points.CountResponse;
import io.qdrant.client.grpc.Points.CountResult;
import io.qdrant.client.grpc.Points.CreateFieldIndexCollection;
import io.qdrant.client.grpc.Points.DenseVector;
import io.qdrant.client.grpc.Points.PointStruct;
import io.qdrant.client.grpc.Points.PointsOperationResponse;
import io.qdrant.client.grpc.Points.QueryPoints;
import io.qdrant.client.grpc.Points.QueryResponse;
import io.qdrant.client.grpc.Points.ScoredPoint;
import io.qdrant.client.grpc.Points.UpdateResult;
import io.qdrant.client.grpc.Points.UpdateStatus;
import io.qdrant.client.grpc.Points.UpsertPoints;
import io.qdrant.client.grpc.Points.Vector;
import io.qdrant.client.grpc.Points.VectorOutput;
import io.qdrant.client.grpc.Points.VectorsOutput;
import io.qdrant.client.grpc.PointsGrpc;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A stand-in Qdrant gRPC server holding points in memory, for machines without Docker: it answers the seven
 * calls the store makes the way Qdrant documents them (cosine vectors normalised on upsert, keyword match
 * filters) and records what it was asked, so tests can check the requests themselves. It proves the
 * client side, not Qdrant's own behaviour: that still needs a run against QDRANT_URL.
 */
final class FakeQdrantServer implements CollectionsGrpc.AsyncService, PointsGrpc.AsyncService, AutoCloseable {
  record Collection(VectorParams params, Map<String, PointStruct> points, Map<String, String> indexes) {}

  final Map<String, Collection> collections = new ConcurrentHashMap<>();
  final List<String> calls = java.util.Collections.synchronizedList(new ArrayList<>());
  private final Server server;

  FakeQdrantServer() throws IOException {
    server = Grpc.newServerBuilderForPort(0, InsecureServerCredentials.create())
        .addService(CollectionsGrpc.bindService(this))
        .addService(PointsGrpc.bindService(this))
        .build()
        .start();
  }

  String url() {
    return "http://127.0.0.1:" + server.getPort();
  }

  @Override
  public void close() {
    server.shutdownNow();
  }

  @Override
  public void collectionExists(CollectionExistsRequest request, StreamObserver<CollectionExistsResponse> out) {
    calls.add("exists " + request.getCollectionName());
    reply(out, CollectionExistsResponse.newBuilder()
        .setResult(CollectionExists.newBuilder().setExists(collections.containsKey(request.getCollectionName()))).build());
  }

  @Override
  public void get(GetCollectionInfoRequest request, StreamObserver<GetCollectionInfoResponse> out) {
    Collection c = existing(request.getCollectionName(), out);
    if (c != null) {
      reply(out, GetCollectionInfoResponse.newBuilder().setResult(CollectionInfo.newBuilder().setConfig(
          CollectionConfig.newBuilder().setParams(CollectionParams.newBuilder().setVectorsConfig(
              VectorsConfig.newBuilder().setParams(c.params()))))).build());
    }
  }

  @Override
  public void create(CreateCollection request, StreamObserver<CollectionOperationResponse> out) {
    calls.add("create " + request.getCollectionName());
    if (collections.putIfAbsent(request.getCollectionName(), new Collection(request.getVectorsConfig().getParams(),
        new ConcurrentHashMap<>(), new ConcurrentHashMap<>())) != null) {
      out.onError(Status.ALREADY_EXISTS.withDescription("collection exists").asRuntimeException());
      return;
    }
    reply(out, CollectionOperationResponse.newBuilder().setResult(true).build());
  }

  @Override
  public void delete(DeleteCollection request, StreamObserver<CollectionOperationResponse> out) {
    calls.add("delete " + request.getCollectionName());
    reply(out, CollectionOperationResponse.newBuilder().setResult(collections.remove(request.getCollectionName()) != null)
        .build());
  }

  @Override
  public void createFieldIndex(CreateFieldIndexCollection request, StreamObserver<PointsOperationResponse> out) {
    calls.add("index " + request.getCollectionName() + " " + request.getFieldName());
    Collection c = existing(request.getCollectionName(), out);
    if (c != null) {
      c.indexes().put(request.getFieldName(), request.getFieldType().name());
      reply(out, completed());
    }
  }

  @Override
  public void upsert(UpsertPoints request, StreamObserver<PointsOperationResponse> out) {
    calls.add("upsert " + request.getCollectionName() + " " + request.getPointsCount() + " wait=" + request.getWait());
    Collection c = existing(request.getCollectionName(), out);
    if (c == null) {
      return;
    }
    for (PointStruct p : request.getPointsList()) {
      List<Float> v = data(p.getVectors().getVector());
      if (v.size() != c.params().getSize()) {
        out.onError(Status.INVALID_ARGUMENT.withDescription("wrong vector size " + v.size()).asRuntimeException());
        return;
      }
      c.points().put(p.getId().getUuid(), p);
    }
    reply(out, completed());
  }

  @Override
  public void count(CountPoints request, StreamObserver<CountResponse> out) {
    Collection c = existing(request.getCollectionName(), out);
    if (c != null) {
      reply(out, CountResponse.newBuilder().setResult(CountResult.newBuilder().setCount(c.points().size())).build());
    }
  }

  @Override
  public void query(QueryPoints request, StreamObserver<QueryResponse> out) {
    calls.add("query " + request.getCollectionName() + " limit=" + request.getLimit() + " filter="
        + request.getFilter().getMustList().stream().map(FakeQdrantServer::describe).toList());
    Collection c = existing(request.getCollectionName(), out);
    if (c == null) {
      return;
    }
    List<Float> query = normalised(request.getQuery().getNearest().getDense().getDataList());
    List<ScoredPoint> hits = new ArrayList<>();
    for (PointStruct p : c.points().values()) {
      if (request.getFilter().getMustList().stream().allMatch(cond -> matches(cond, p))) {
        List<Float> v = data(p.getVectors().getVector());
        ScoredPoint.Builder hit = ScoredPoint.newBuilder().setId(p.getId()).setScore(dot(query, v));
        if (request.getWithPayload().getEnable()) {
          hit.putAllPayload(p.getPayloadMap());
        }
        if (request.getWithVectors().getEnable()) {
          hit.setVectors(VectorsOutput.newBuilder().setVector(VectorOutput.newBuilder()
              .setDense(DenseVector.newBuilder().addAllData(v))));
        }
        hits.add(hit.build());
      }
    }
    hits.sort(Comparator.comparingDouble(ScoredPoint::getScore).reversed());
    reply(out, QueryResponse.newBuilder().addAllResult(hits.subList(0, (int) Math.min(hits.size(), request.getLimit())))
        .build());
  }

  private static boolean matches(Condition condition, PointStruct p) {
    Value v = p.getPayloadMap().get(condition.getField().getKey());
    return v != null && v.getStringValue().equals(condition.getField().getMatch().getKeyword());
  }

  private static String describe(Condition condition) {
    return condition.getField().getKey() + "=" + condition.getField().getMatch().getKeyword();
  }

  /** Qdrant stores cosine vectors normalised, and returns them so. */
  private static List<Float> data(Vector vector) {
    return normalised(vector.hasDense() ? vector.getDense().getDataList() : vector.getDataList());
  }

  private static List<Float> normalised(List<Float> v) {
    double norm = Math.sqrt(v.stream().mapToDouble(x -> x * x).sum());
    return v.stream().map(x -> (float) (norm == 0 ? 0 : x / norm)).toList();
  }

  private static float dot(List<Float> a, List<Float> b) {
    float s = 0;
    for (int i = 0; i < a.size(); i++) {
      s += a.get(i) * b.get(i);
    }
    return s;
  }

  private Collection existing(String name, StreamObserver<?> out) {
    Collection c = collections.get(name);
    if (c == null) {
      out.onError(Status.NOT_FOUND.withDescription("Collection `" + name + "` doesn't exist!").asRuntimeException());
    }
    return c;
  }

  private static PointsOperationResponse completed() {
    return PointsOperationResponse.newBuilder().setResult(UpdateResult.newBuilder().setStatus(UpdateStatus.Completed)).build();
  }

  private static <T> void reply(StreamObserver<T> out, T value) {
    out.onNext(value);
    out.onCompleted();
  }
}
