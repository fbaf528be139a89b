package dev.twinmesh.rag;

import dev.twinmesh.common.ChatMessage;
import dev.twinmesh.common.RagPromptReply;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Turns a conversation and its retrieved context into the messages the model sees: the earlier turns
 * as they were, and the last user turn rewritten with the instruction template.
 */
public final class PromptBuilder {
  static final String DEFAULT_AUTHOR = "the author";

  private final PromptTemplates templates;

  public PromptBuilder(PromptTemplates templates) {
    this.templates = templates;
  }

  public RagPromptReply build(List<ChatMessage> conversation, String question, String author,
                              RetrievedContext context, long tookMs) {
    Map<String, String> variables = new LinkedHashMap<>();
    variables.put("question", question);
    variables.put("author", author == null || author.isBlank() ? DEFAULT_AUTHOR : author);
    PromptTemplate template = templates.instruction();
    List<ChatMessage> messages = new ArrayList<>();
    if (!context.isEmpty()) {
      template = templates.instructionWithContext();
      variables.put("context", String.join("\n\n", context.texts()));
      messages.add(ChatMessage.system(templates.ragSystem().render(variables)));
    }
    int lastUser = lastUserIndex(conversation);
    for (int i = 0; i < conversation.size(); i++) {
      ChatMessage message = conversation.get(i);
      if (i == lastUser) {
        messages.add(ChatMessage.user(template.render(variables)));
      } else if (!(message.role().equals("system") && !context.isEmpty())) {
        messages.add(message);
      }
    }
    if (lastUser < 0) {
      messages.add(ChatMessage.user(template.render(variables)));
    }
    return new RagPromptReply(messages, template.name(), variables, context.chunks(), 0, tookMs);
  }

  private static int lastUserIndex(List<ChatMessage> conversation) {
    for (int i = conversation.size() - 1; i >= 0; i--) {
      if ("user".equals(conversation.get(i).role())) {
        return i;
      }
    }
    return -1;
  }
}
