package dev.twinmesh.rag;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.twinmesh.common.ChatMessage;
import dev.twinmesh.common.Json;
import dev.twinmesh.common.Names;
import dev.twinmesh.common.RagPromptReply;
import dev.twinmesh.common.RagPromptRequest;
import dev.twinmesh.rag.corpus.IngestedCorpus;
import dev.twinmesh.rag.store.QdrantVectorStore;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.VertxExtension;
import io.vertx.junit5.VertxTestContext;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** {@code rag.prompt} over the event bus, with the test corpus in the embedded store. */
@ExtendWith(VertxExtension.class)
class RagVerticleTest {
  private static RagServices services;

  @BeforeAll
  static void deploy(Vertx vertx, VertxTestContext ctx) {
    IngestedCorpus corpus = IngestedCorpus.get();
    services = RagServices.open(vertx, RagConfig.embedded(corpus.dataDir()), corpus.embedder(), corpus.store(),
        TokenCounter.approximate());
    vertx.deployVerticle(services.verticle()).onComplete(ctx.succeedingThenComplete());
  }

  @AfterAll
  static void close() {
    services.close();
  }

  private static RagPromptRequest ask(String question, String author, boolean rag) {
    return new RagPromptRequest("trace-1", List.of(ChatMessage.user(question)), question, author, rag);
  }

  private static void send(Vertx vertx, VertxTestContext ctx, RagPromptRequest request,
                           java.util.function.Consumer<RagPromptReply> check) {
    vertx.eventBus().<JsonObject>request(Names.ADDRESS_RAG_PROMPT, Json.toJsonObject(request))
        .onComplete(ctx.succeeding(reply -> ctx.verify(() -> {
          check.accept(Json.fromJsonObject(reply.body(), RagPromptReply.class));
          ctx.completeNow();
        })));
  }

  @Test
  void aQuestionWithAnAuthorGetsTheirContextAndATrace(Vertx vertx, VertxTestContext ctx) {
    send(vertx, ctx, ask("How long is a nanosecond of wire?", "grace", true), reply -> {
      assertEquals("instruction-with-context", reply.template());
      assertEquals("system", reply.messages().get(0).role());
      assertTrue(reply.messages().get(0).content().contains("Grace Hopper"), reply.messages().get(0).content());
      String user = reply.messages().get(1).content();
      assertTrue(user.startsWith("### Instruction:\nHow long is a nanosecond of wire?\n\n### Context:\n"), user);
      assertTrue(user.contains("11.8 inches"), user);
      assertTrue(reply.retrieved().get(0).source().endsWith("nanosecond.md"), reply.retrieved().toString());
      assertEquals("posts", reply.retrieved().get(0).collection());
      assertTrue(reply.contextTokens() > 0);
      assertTrue(reply.variables().get(PromptBuilder.VAR_TIMINGS).contains("search="), reply.variables().toString());
      assertEquals("How long is a nanosecond of wire?", reply.variables().get(PromptBuilder.VAR_QUERIES));
    });
  }

  @Test
  void theAuthorNamedInTheQuestionVoicesTheSystemPrompt(Vertx vertx, VertxTestContext ctx) {
    send(vertx, ctx, ask("As Ada Lovelace, what is the difference between the mill and the store?", null, true), reply -> {
      assertTrue(reply.messages().get(0).content().contains("twin of Ada Lovelace"), reply.messages().get(0).content());
      assertTrue(reply.retrieved().stream().anyMatch(c -> c.source().endsWith("analytical-engine-notes.md")));
    });
  }

  @Test
  void ragOffSkipsRetrieval(Vertx vertx, VertxTestContext ctx) {
    send(vertx, ctx, ask("How long is a nanosecond of wire?", "grace", false), reply -> {
      assertEquals("instruction", reply.template());
      assertEquals(List.of(ChatMessage.user("### Instruction:\nHow long is a nanosecond of wire?")), reply.messages());
      assertTrue(reply.retrieved().isEmpty());
    });
  }

  @Test
  void anUnknownAuthorIsAnsweredWithoutContext(Vertx vertx, VertxTestContext ctx) {
    send(vertx, ctx, ask("How long is a nanosecond of wire?", "Linus Torvalds", true), reply -> {
      assertEquals("instruction", reply.template());
      assertTrue(reply.retrieved().isEmpty());
    });
  }

  @Test
  void anEmptyQuestionIsAnsweredWithoutContext(Vertx vertx, VertxTestContext ctx) {
    send(vertx, ctx, new RagPromptRequest("t", List.of(), null, "grace", true), reply -> {
      assertEquals("instruction", reply.template());
      assertEquals(List.of(ChatMessage.user("### Instruction:\n")), reply.messages());
    });
  }

  @Test
  void theQuestionDefaultsToTheLastUserMessage(Vertx vertx, VertxTestContext ctx) {
    send(vertx, ctx, new RagPromptRequest("t", List.of(ChatMessage.user("How does the payroll compute overtime?")), null,
        "grace", true), reply -> {
      assertEquals("instruction-with-context", reply.template());
      assertTrue(reply.retrieved().stream().anyMatch(c -> c.source().endsWith("PAYROLL.cbl")));
    });
  }

  @Test
  void aHugeQuestionIsCutToTheTokenBudget(Vertx vertx, VertxTestContext ctx) {
    String huge = "How does the payroll compute overtime? " + "Tell me everything about it. ".repeat(5_000);
    send(vertx, ctx, ask(huge, "grace", true), reply -> {
      TokenCounter counter = TokenCounter.approximate();
      int total = reply.messages().stream().mapToInt(m -> counter.count(m.content())).sum();
      assertTrue(total <= RagConfig.MAX_INPUT_TOKENS, "prompt tokens " + total);
      assertEquals("true", reply.variables().get(PromptBuilder.VAR_TRUNCATED));
      assertTrue(reply.messages().get(1).content().endsWith("it."), "cut at a sentence end");
    });
  }

  @Test
  void aMalformedRequestIsRefusedWithCode400(Vertx vertx, VertxTestContext ctx) {
    vertx.eventBus().request(Names.ADDRESS_RAG_PROMPT, new JsonObject().put("messages", "not a list"))
        .onComplete(ctx.failing(e -> ctx.verify(() -> {
          assertEquals(RagVerticle.BAD_REQUEST, ((ReplyException) e).failureCode());
          assertTrue(e.getMessage().startsWith("malformed rag.prompt request"), e.getMessage());
          ctx.completeNow();
        })));
  }

  @Test
  void anUnreachableStoreDegradesToAnAnswerWithoutContext(VertxTestContext ctx) throws Exception {
    Vertx other = Vertx.vertx();
    QdrantVectorStore nowhere = new QdrantVectorStore("http://127.0.0.1:1", null, Duration.ofSeconds(2));
    RagServices broken = RagServices.open(other, RagConfig.embedded(IngestedCorpus.get().dataDir()),
        IngestedCorpus.get().embedder(), nowhere, TokenCounter.approximate());
    other.deployVerticle(broken.verticle())
        .compose(id -> other.eventBus().<JsonObject>request(Names.ADDRESS_RAG_PROMPT,
            Json.toJsonObject(ask("How long is a nanosecond of wire?", "grace", true))))
        .onComplete(ctx.succeeding(reply -> ctx.verify(() -> {
          RagPromptReply prompt = Json.fromJsonObject(reply.body(), RagPromptReply.class);
          assertEquals("instruction", prompt.template());
          assertFalse(prompt.messages().isEmpty());
          ctx.completeNow();
        })));
    assertTrue(ctx.awaitCompletion(60, TimeUnit.SECONDS));
    broken.close();
    nowhere.close();
    other.close().await(10, TimeUnit.SECONDS);
  }
}
