package dev.twinmesh.rag;

import dev.twinmesh.common.ChatMessage;
import dev.twinmesh.common.Json;
import dev.twinmesh.common.Names;
import dev.twinmesh.common.RagPromptReply;
import dev.twinmesh.common.RagPromptRequest;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.eventbus.Message;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.json.JsonObject;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Answers {@code rag.prompt} on the event bus: retrieves the author's context (when RAG is on) and
 * renders the prompt templates. A failing retrieval degrades to an answer without context; only a
 * request that cannot be read at all is refused, with failure code 400.
 */
public final class RagVerticle extends VerticleBase {
  private static final Logger LOG = LoggerFactory.getLogger(RagVerticle.class);
  /** The failure code of a {@code rag.prompt} request that cannot be parsed: the client's fault. */
  public static final int BAD_REQUEST = 400;

  private final ContextRetriever retriever;
  private final PromptBuilder prompts;
  private MessageConsumer<JsonObject> consumer;

  public RagVerticle(ContextRetriever retriever, PromptTemplates templates) {
    this(retriever, new PromptBuilder(templates));
  }

  public RagVerticle(ContextRetriever retriever, PromptBuilder prompts) {
    this.retriever = retriever;
    this.prompts = prompts;
  }

  @Override
  public Future<?> start() {
    consumer = vertx.eventBus().consumer(Names.ADDRESS_RAG_PROMPT, this::handlePrompt);
    return consumer.completion();
  }

  private void handlePrompt(Message<JsonObject> message) {
    RagPromptRequest request;
    try {
      request = Json.fromJsonObject(message.body(), RagPromptRequest.class);
    } catch (IllegalArgumentException | NullPointerException e) {
      message.fail(BAD_REQUEST, "malformed rag.prompt request: " + e.getMessage());
      return;
    }
    List<ChatMessage> conversation = request.messages() == null ? List.of() : request.messages();
    String question = questionOf(request, conversation);
    long started = System.currentTimeMillis();
    Future<RetrievedContext> context;
    try {
      context = request.rag() && !question.isBlank()
          ? retriever.retrieve(question, request.author())
          : Future.succeededFuture(RetrievedContext.EMPTY);
    } catch (RuntimeException e) {
      context = Future.failedFuture(e);
    }
    context
        .recover(e -> {
          LOG.warn("trace {}: retrieval failed, answering without context: {}", request.traceId(), e.getMessage());
          return Future.succeededFuture(RetrievedContext.EMPTY);
        })
        // Counting and cutting tokens of a long prompt is CPU work: off the event loop.
        .compose(found -> vertx.executeBlocking(() -> prompts.build(conversation, question, request.author(), found,
            System.currentTimeMillis() - started), false))
        .onSuccess(reply -> message.reply(Json.toJsonObject(reply)))
        .onFailure(e -> {
          LOG.error("trace {}: cannot build the prompt", request.traceId(), e);
          message.fail(BAD_REQUEST, "cannot build the prompt: " + e.getMessage());
        });
  }

  /** The request's question, else the last user message, else nothing. */
  private static String questionOf(RagPromptRequest request, List<ChatMessage> conversation) {
    if (request.question() != null && !request.question().isBlank()) {
      return request.question();
    }
    for (int i = conversation.size() - 1; i >= 0; i--) {
      ChatMessage m = conversation.get(i);
      if ("user".equals(m.role()) && m.content() != null) {
        return m.content();
      }
    }
    return "";
  }

  @Override
  public Future<?> stop() {
    return consumer == null ? Future.succeededFuture() : consumer.unregister();
  }
}
