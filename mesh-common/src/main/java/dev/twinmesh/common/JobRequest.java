package dev.twinmesh.common;

import java.util.List;
import java.util.Map;

/**
 * An asynchronous generation on {@code twin.jobs.requests.v1}, keyed by job id. Either {@code messages}
 * (a chat, as OpenAI's API takes it) or {@code question} (one user message) is required. {@code sampling}
 * holds OpenAI's sampling fields by their wire names ({@code temperature}, {@code max_tokens}, {@code stop},
 * ...), validated exactly as the HTTP API validates them. The answer goes to {@code twin.jobs.results.v1}
 * and, when {@code replyTopic} is set, to that topic as well.
 */
public record JobRequest(
    String schema,
    String jobId,
    String model,
    List<ChatMessage> messages,
    String question,
    String author,
    Boolean rag,
    Map<String, Object> sampling,
    String replyTopic) {

  /** The chat the job asks for: its messages, or its question as one user message. */
  public List<ChatMessage> chat() {
    if (messages != null && !messages.isEmpty()) {
      return messages;
    }
    return question == null ? List.of() : List.of(ChatMessage.user(question));
  }

  public JobRequest withJobId(String id) {
    return new JobRequest(schema, id, model, messages, question, author, rag, sampling, replyTopic);
  }

  public JobRequest withSchema() {
    return new JobRequest(Names.SCHEMA_JOB_REQUEST, jobId, model, messages, question, author, rag, sampling, replyTopic);
  }
}
