package dev.twinmesh.app;

import dev.twinmesh.common.ApiException;
import dev.twinmesh.common.IngestReply;
import dev.twinmesh.common.IngestRequest;
import dev.twinmesh.common.Json;
import dev.twinmesh.rag.Author;
import dev.twinmesh.rag.ingest.DocumentType;
import dev.twinmesh.rag.ingest.SourceDocument;
import dev.twinmesh.rag.ingest.TextFormat;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * Sends documents to a running business service's {@code POST /v1/ingest} in batches small enough for its body
 * limit: a batch answered 413 is halved and sent again, and a document too large on its own is reported skipped.
 */
final class IngestClient {
  /** Under the gateway's default 1 MiB body limit with room for JSON escaping. */
  static final int BATCH_BYTES = 384 * 1024;
  static final int BATCH_DOCUMENTS = 64;

  /** Told after each batch is stored. */
  interface Progress {
    void batchDone(int documentsSent, int chunksStored, String lastSource);
  }

  /** Thrown for answers that end the run: a refused key, an unreachable or failing service. */
  static final class IngestFailed extends RuntimeException {
    IngestFailed(String message) {
      super(message);
    }
  }

  private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
  private final URI endpoint;
  private final String apiKey;
  private final String authorOnWire;

  /**
   * @param authorOnWire the author as the user named it (the service resolves it), or null to send each
   *                     document's own author (id, name and aliases, as an ingestion tree's author.json gives them)
   */
  IngestClient(String baseUrl, String apiKey, String authorOnWire) {
    this.endpoint = URI.create(baseUrl.replaceAll("/+$", "").replaceAll("/v1$", "") + "/v1/ingest");
    this.apiKey = apiKey;
    this.authorOnWire = authorOnWire;
  }

  URI endpoint() {
    return endpoint;
  }

  void send(List<SourceDocument> documents, IngestTally tally, Progress progress) {
    int sent = 0;
    for (List<SourceDocument> batch : batches(documents)) {
      sendSplitting(batch, tally);
      sent += batch.size();
      progress.batchDone(sent, tally.chunks(), batch.get(batch.size() - 1).source());
    }
  }

  /** Consecutive documents of one author and type, up to {@link #BATCH_DOCUMENTS} and about {@link #BATCH_BYTES}. */
  static List<List<SourceDocument>> batches(List<SourceDocument> documents) {
    List<List<SourceDocument>> batches = new ArrayList<>();
    List<SourceDocument> current = new ArrayList<>();
    long bytes = 0;
    for (SourceDocument doc : documents) {
      long size = doc.text().getBytes(StandardCharsets.UTF_8).length + doc.source().length() + 64L;
      boolean sameKind = current.isEmpty() || (current.get(0).author().equals(doc.author())
          && current.get(0).type() == doc.type());
      if (!current.isEmpty() && (!sameKind || current.size() >= BATCH_DOCUMENTS || bytes + size > BATCH_BYTES)) {
        batches.add(current);
        current = new ArrayList<>();
        bytes = 0;
      }
      current.add(doc);
      bytes += size;
    }
    if (!current.isEmpty()) {
      batches.add(current);
    }
    return batches;
  }

  private void sendSplitting(List<SourceDocument> batch, IngestTally tally) {
    HttpResponse<String> response = post(request(batch));
    if (response.statusCode() == 200) {
      tally.add(Json.read(response.body(), IngestReply.class));
    } else if (response.statusCode() == 413 && batch.size() > 1) {
      sendSplitting(batch.subList(0, batch.size() / 2), tally);
      sendSplitting(batch.subList(batch.size() / 2, batch.size()), tally);
    } else if (response.statusCode() == 413) {
      tally.skip(batch.get(0).source(), "larger than the service's request limit (413)");
    } else {
      throw new IngestFailed(failure(response));
    }
  }

  private String failure(HttpResponse<String> response) {
    String message;
    try {
      message = ApiException.fromBody(response.statusCode(), new JsonObject(response.body())).getMessage();
    } catch (DecodeException | ClassCastException e) {
      message = response.body();
    }
    return switch (response.statusCode()) {
      case 401 -> endpoint + " refused the API key (" + message + "): pass --api-key or TWIN_MESH_API_KEY";
      case 404 -> endpoint + " has no ingestion endpoint: is it a twin-mesh business service (up or gateway)?";
      default -> endpoint + " answered " + response.statusCode() + ": " + message;
    };
  }

  private IngestRequest request(List<SourceDocument> batch) {
    SourceDocument first = batch.get(0);
    Author author = first.author();
    List<IngestRequest.Document> docs = batch.stream()
        .map(d -> new IngestRequest.Document(d.source(), d.text(), format(d.format()))).toList();
    return authorOnWire != null
        ? new IngestRequest(authorOnWire, null, null, type(first.type()), docs)
        : new IngestRequest(author.id(), author.name(), author.aliases(), type(first.type()), docs);
  }

  private HttpResponse<String> post(IngestRequest request) {
    HttpRequest.Builder builder = HttpRequest.newBuilder(endpoint)
        .timeout(Duration.ofMinutes(10))
        .header("content-type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofString(Json.write(request), StandardCharsets.UTF_8));
    if (apiKey != null && !apiKey.isBlank()) {
      builder.header("authorization", "Bearer " + apiKey.strip());
    }
    try {
      return http.send(builder.build(), HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
    } catch (IOException e) {
      throw new IngestFailed("cannot reach " + endpoint + " (" + Objects.toString(e.getMessage(), e.getClass().getSimpleName())
          + "): is twin-mesh up (or gateway) running there?");
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IngestFailed("interrupted while sending to " + endpoint);
    }
  }

  static String type(DocumentType type) {
    return switch (type) {
      case POSTS -> IngestRequest.POST;
      case ARTICLES -> IngestRequest.ARTICLE;
      case REPOSITORIES -> IngestRequest.REPOSITORY;
    };
  }

  static String format(TextFormat format) {
    return switch (format) {
      case PLAIN -> "text";
      case MARKDOWN -> "markdown";
      case HTML -> "html";
      case CODE -> "code";
    };
  }
}
