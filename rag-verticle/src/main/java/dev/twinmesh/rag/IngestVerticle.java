package dev.twinmesh.rag;

import dev.twinmesh.common.IngestReply;
import dev.twinmesh.common.IngestRequest;
import dev.twinmesh.common.Json;
import dev.twinmesh.common.Names;
import dev.twinmesh.rag.ingest.DocumentType;
import dev.twinmesh.rag.ingest.IngestProgress;
import dev.twinmesh.rag.ingest.IngestSummary;
import dev.twinmesh.rag.ingest.Ingestor;
import dev.twinmesh.rag.ingest.SourceDocument;
import dev.twinmesh.rag.ingest.SourceReader;
import dev.twinmesh.rag.ingest.TextFormat;
import dev.twinmesh.rag.store.VectorStoreException;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.WorkerExecutor;
import io.vertx.core.eventbus.Message;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Answers {@code rag.ingest} on the event bus: turns an {@link IngestRequest} into source documents and runs
 * the {@link Ingestor} (clean, chunk, embed, upsert) on a single worker thread, so ingestion never blocks an
 * event loop and one large upload does not take every core from retrieval. Replies with an {@link IngestReply};
 * fails with 400 for writing it cannot take, 503 when the store refuses, 500 otherwise.
 */
public final class IngestVerticle extends VerticleBase {
  private static final Logger LOG = LoggerFactory.getLogger(IngestVerticle.class);
  public static final int BAD_REQUEST = 400;
  public static final int INTERNAL_ERROR = 500;
  public static final int STORE_UNAVAILABLE = 503;

  private final Ingestor ingestor;
  private final AuthorDirectory authors;
  private final SourceReader reader = new SourceReader();
  private WorkerExecutor worker;
  private MessageConsumer<JsonObject> consumer;

  public IngestVerticle(Ingestor ingestor, AuthorDirectory authors) {
    this.ingestor = ingestor;
    this.authors = authors;
  }

  @Override
  public Future<?> start() {
    worker = vertx.createSharedWorkerExecutor("twin-rag-ingest", 1, 30, TimeUnit.MINUTES);
    consumer = vertx.eventBus().consumer(Names.ADDRESS_RAG_INGEST, this::handleIngest);
    return consumer.completion();
  }

  private void handleIngest(Message<JsonObject> message) {
    IngestRequest request;
    try {
      request = Json.fromJsonObject(message.body(), IngestRequest.class);
    } catch (IllegalArgumentException | NullPointerException e) {
      message.fail(BAD_REQUEST, "malformed rag.ingest request: " + e.getMessage());
      return;
    }
    worker.executeBlocking(() -> ingest(request), true)
        .onSuccess(reply -> message.reply(Json.toJsonObject(reply)))
        .onFailure(e -> {
          if (e instanceof IllegalArgumentException) {
            message.fail(BAD_REQUEST, e.getMessage());
          } else if (e instanceof VectorStoreException) {
            LOG.warn("ingestion for {} failed in the store: {}", request.author(), e.getMessage());
            message.fail(STORE_UNAVAILABLE, "the vector store refused the writing: " + e.getMessage());
          } else {
            LOG.error("ingestion for {} failed", request.author(), e);
            message.fail(INTERNAL_ERROR, "ingestion failed: " + e.getClass().getSimpleName());
          }
        });
  }

  /** Blocking: reads the request's documents (JSON exports expand into many) and ingests them. */
  IngestReply ingest(IngestRequest request) {
    Author author = author(request);
    DocumentType type = type(request.type());
    SourceReader.Read read = new SourceReader.Read(new ArrayList<>(), 0, new ArrayList<>());
    for (IngestRequest.Document doc : request.documents()) {
      String format = doc.format() != null ? doc.format() : type == DocumentType.REPOSITORIES ? "code" : "markdown";
      if (format.equals("json")) {
        SourceReader.Read export = reader.readExport(doc.source(), doc.content(), author, type);
        read.documents().addAll(export.documents());
        read.skipped().addAll(export.skipped());
      } else {
        read.documents().add(new SourceDocument(author, type, doc.source(), doc.content(), textFormat(format)));
      }
    }
    IngestSummary summary = ingestor.ingest(read, IngestProgress.none());
    List<IngestReply.Skipped> skipped = summary.skipped().stream()
        .map(s -> new IngestReply.Skipped(s.source(), s.reason())).toList();
    return new IngestReply(author.id(), author.name(), summary.documents(), summary.chunks(), summary.perCollection(),
        skipped, summary.tookMs());
  }

  /**
   * With a display name, {@code author} is the id; otherwise it is resolved like a question's author (id, name,
   * alias), and an unknown name becomes a new author whose id is its slug.
   */
  private Author author(IngestRequest request) {
    String given = request.author();
    if (request.authorName() != null) {
      return new Author(given, request.authorName(), request.authorAliases());
    }
    Author author = authors.resolveOrNamed(given);
    return request.authorAliases().isEmpty() ? author : new Author(author.id(), author.name(), request.authorAliases());
  }

  private static DocumentType type(String type) {
    return switch (type == null ? "" : type) {
      case IngestRequest.POST -> DocumentType.POSTS;
      case IngestRequest.ARTICLE -> DocumentType.ARTICLES;
      case IngestRequest.REPOSITORY -> DocumentType.REPOSITORIES;
      default -> throw new IllegalArgumentException("type must be one of " + IngestRequest.TYPES + ", not " + type);
    };
  }

  private static TextFormat textFormat(String format) {
    return switch (format) {
      case "markdown" -> TextFormat.MARKDOWN;
      case "text" -> TextFormat.PLAIN;
      case "html" -> TextFormat.HTML;
      case "code" -> TextFormat.CODE;
      default -> throw new IllegalArgumentException("format must be one of " + IngestRequest.FORMATS + ", not " + format);
    };
  }

  @Override
  public Future<?> stop() {
    Future<?> unregistered = consumer == null ? Future.succeededFuture() : consumer.unregister();
    return unregistered.onComplete(done -> {
      if (worker != null) {
        worker.close();
      }
    });
  }
}
