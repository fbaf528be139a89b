package dev.twinmesh.rag;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.twinmesh.common.IngestReply;
import dev.twinmesh.common.IngestRequest;
import dev.twinmesh.common.Json;
import dev.twinmesh.common.Names;
import dev.twinmesh.rag.embed.SharedEmbedder;
import dev.twinmesh.rag.store.LuceneVectorStore;
import dev.twinmesh.rag.store.VectorStore;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.json.JsonObject;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code rag.ingest} over the event bus: what the business service's {@code POST /v1/ingest} forwards to. */
class IngestVerticleTest {
  @TempDir
  static Path dataDir;
  private static Vertx vertx;
  private static VectorStore store;
  private static RagServices rag;

  @BeforeAll
  static void deploy() throws Exception {
    vertx = Vertx.vertx();
    store = new LuceneVectorStore(RagServices.vectorsDir(dataDir));
    rag = RagServices.open(vertx, RagConfig.embedded(dataDir), SharedEmbedder.get(), store, TokenCounter.approximate());
    vertx.deployVerticle(rag.ingestVerticle()).await(30, TimeUnit.SECONDS);
  }

  @AfterAll
  static void close() throws Exception {
    rag.close();
    store.close();
    vertx.close().await(10, TimeUnit.SECONDS);
  }

  private static IngestReply send(IngestRequest request) throws Exception {
    return Json.fromJsonObject(vertx.eventBus().<JsonObject>request(Names.ADDRESS_RAG_INGEST, Json.toJsonObject(request))
        .await(60, TimeUnit.SECONDS).body(), IngestReply.class);
  }

  @Test
  void documentsAndJsonExportsAreStoredOnceWhateverTheRepeats() throws Exception {
    IngestRequest request = new IngestRequest("Lin Okafor", null, List.of("Lin"), "post", List.of(
        new IngestRequest.Document("https://lin.example/cache", "# Caches\n\nA cache trades memory for latency.", null),
        new IngestRequest.Document("export.json", "[{\"url\":\"https://lin.example/q\",\"content\":\"Queues smooth bursts.\"},"
            + "{\"title\":\"no text\"}]", "json"),
        new IngestRequest.Document("blank.txt", "   ", "text")));
    IngestReply first = send(request);
    assertEquals("lin-okafor", first.authorId());
    assertEquals("Lin Okafor", first.authorName());
    assertEquals(2, first.documents());
    assertEquals(2, first.chunks());
    assertEquals(2, first.perCollection().get("posts"));
    assertEquals(List.of("export.json#1", "blank.txt"), first.skipped().stream().map(IngestReply.Skipped::source).toList());
    assertEquals(2, store.count("posts"));

    IngestReply again = send(request);
    assertEquals(2, again.chunks(), "the same chunks are upserted again");
    assertEquals(2, store.count("posts"), "under the same ids: nothing new is stored");
    assertEquals("lin-okafor", rag.authors().resolve("Lin").orElseThrow().id(), "the alias resolves");

    IngestReply byAlias = send(new IngestRequest("Lin", null, null, "article", List.of(
        new IngestRequest.Document("notes.html", "<p>Backpressure &amp; flow control.</p>", "html"))));
    assertEquals("lin-okafor", byAlias.authorId(), "a known author is resolved by alias");
  }

  @Test
  void aRequestThatIsNotAnIngestRequestFailsWith400() {
    Exception e = org.junit.jupiter.api.Assertions.assertThrows(Exception.class, () -> vertx.eventBus()
        .request(Names.ADDRESS_RAG_INGEST, new JsonObject().put("documents", "nope")).await(10, TimeUnit.SECONDS));
    ReplyException reply = (ReplyException) (e instanceof ReplyException ? e : e.getCause());
    assertEquals(IngestVerticle.BAD_REQUEST, reply.failureCode());
    assertTrue(reply.getMessage().contains("malformed"));
  }
}
