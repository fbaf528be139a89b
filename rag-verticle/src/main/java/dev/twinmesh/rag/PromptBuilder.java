package dev.twinmesh.rag;

import dev.twinmesh.common.ChatMessage;
import dev.twinmesh.common.RagPromptReply;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * Turns a conversation and its retrieved context into the messages the model sees: the earlier turns
 * as they were, and the last user turn rewritten with the instruction template, cut to the token budget
 * (MAX_INPUT_TOKENS less the system prompt) at a sentence boundary where there is one.
 */
public final class PromptBuilder {
  static final String DEFAULT_AUTHOR = "the author";
  /** Trace-only entries of the variables map; the dot keeps them out of any template's {slots}. */
  public static final String VAR_QUERIES = "retrieval.queries";
  public static final String VAR_TIMINGS = "retrieval.timings_ms";
  public static final String VAR_TRUNCATED = "prompt.truncated";

  private final PromptTemplates templates;
  private final TokenBudget budget;
  private final int maxInputTokens;

  public PromptBuilder(PromptTemplates templates) {
    this(templates, TokenCounter.approximate(), RagConfig.MAX_INPUT_TOKENS);
  }

  /** @param counter the served model's token counter; {@link TokenCounter#approximate()} when the app has none */
  public PromptBuilder(PromptTemplates templates, TokenCounter counter, int maxInputTokens) {
    this.templates = templates;
    this.budget = new TokenBudget(counter);
    this.maxInputTokens = maxInputTokens;
  }

  public RagPromptReply build(List<ChatMessage> conversation, String question, String author,
                              RetrievedContext context, long tookMs) {
    Map<String, String> variables = new LinkedHashMap<>();
    variables.put("question", question == null ? "" : question);
    // The directory's display name for the author retrieval resolved beats the raw id the request carried.
    String who = context.author() != null ? context.author() : author;
    variables.put("author", who == null || who.isBlank() ? DEFAULT_AUTHOR : who);
    PromptTemplate template = templates.instruction();
    String system = null;
    if (!context.isEmpty()) {
      template = templates.instructionWithContext();
      variables.put("context", String.join("\n\n", context.texts()));
      system = templates.ragSystem().render(variables);
    }
    String fullPrompt = template.render(variables);
    String userPrompt = fitToBudget(fullPrompt, system);
    int contextTokens = context.isEmpty() ? 0 : contextTokens(template, variables, userPrompt);
    traceOnly(variables, context, !userPrompt.equals(fullPrompt));

    List<ChatMessage> messages = new ArrayList<>();
    if (system != null) {
      messages.add(ChatMessage.system(system));
    }
    int lastUser = lastUserIndex(conversation);
    for (int i = 0; i < conversation.size(); i++) {
      ChatMessage message = conversation.get(i);
      if (i == lastUser) {
        messages.add(ChatMessage.user(userPrompt));
      } else if (!(message.role().equals("system") && system != null)) {
        messages.add(message);
      }
    }
    if (lastUser < 0) {
      messages.add(ChatMessage.user(userPrompt));
    }
    return new RagPromptReply(messages, template.name(), variables, context.chunks(), contextTokens, tookMs);
  }

  /** The user prompt gets what the system prompt leaves of the budget (a quarter of it at least). */
  private String fitToBudget(String userPrompt, String system) {
    int systemTokens = system == null ? 0 : budget.counter().count(system);
    int available = Math.max(maxInputTokens / 4, maxInputTokens - systemTokens);
    return budget.truncate(userPrompt, available);
  }

  /** Tokens of the context that survived truncation: the prompt's tokens less those of the prompt without context. */
  private int contextTokens(PromptTemplate template, Map<String, String> variables, String userPrompt) {
    Map<String, String> withoutContext = new LinkedHashMap<>(variables);
    withoutContext.put("context", "");
    int frame = budget.counter().count(template.render(withoutContext));
    return Math.max(0, budget.counter().count(userPrompt) - frame);
  }

  private static void traceOnly(Map<String, String> variables, RetrievedContext context, boolean truncated) {
    if (!context.queries().isEmpty()) {
      variables.put(VAR_QUERIES, String.join("\n", context.queries()));
    }
    if (!context.timingsMs().isEmpty()) {
      variables.put(VAR_TIMINGS, context.timingsMs().entrySet().stream()
          .map(e -> e.getKey() + "=" + e.getValue()).collect(Collectors.joining(" ")));
    }
    if (truncated) {
      variables.put(VAR_TRUNCATED, "true");
    }
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
