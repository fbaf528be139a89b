package dev.twinmesh.rag;

import dev.twinmesh.common.Json;
import dev.twinmesh.common.Names;
import dev.twinmesh.common.RagPromptReply;
import dev.twinmesh.common.RagPromptRequest;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.eventbus.Message;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.eventbus.ReplyFailure;
import io.vertx.core.json.JsonObject;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Answers {@code rag.prompt} on the event bus: retrieves the author's context (when RAG is on) and
 * renders the prompt templates. A failing retrieval degrades to an answer without context.
 */
public final class RagVerticle extends VerticleBase {
  private static final Logger LOG = LoggerFactory.getLogger(RagVerticle.class);

  private final ContextRetriever retriever;
  private final PromptBuilder prompts;
  private MessageConsumer<JsonObject> consumer;

  public RagVerticle(ContextRetriever retriever, PromptTemplates templates) {
    this.retriever = retriever;
    this.prompts = new PromptBuilder(templates);
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
    } catch (IllegalArgumentException e) {
      message.fail(ReplyFailure.RECIPIENT_FAILURE.toInt(), "malformed rag.prompt request: " + e.getMessage());
      return;
    }
    long started = System.currentTimeMillis();
    Future<RetrievedContext> context = request.rag() && request.question() != null && !request.question().isBlank()
        ? retriever.retrieve(request.question(), request.author())
        : Future.succeededFuture(RetrievedContext.EMPTY);
    context
        .recover(e -> {
          LOG.warn("trace {}: retrieval failed, answering without context: {}", request.traceId(), e.getMessage());
          return Future.succeededFuture(RetrievedContext.EMPTY);
        })
        .map(found -> prompts.build(request.messages(), request.question(), request.author(), found,
            System.currentTimeMillis() - started))
        .onSuccess(reply -> message.reply(Json.toJsonObject(reply)))
        .onFailure(e -> message.fail(ReplyFailure.RECIPIENT_FAILURE.toInt(), e.getMessage()));
  }

  @Override
  public Future<?> stop() {
    return consumer == null ? Future.succeededFuture() : consumer.unregister();
  }

}
