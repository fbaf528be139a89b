package dev.twinmesh.rag.retrieve;

import dev.twinmesh.common.ChatMessage;
import io.vertx.core.Future;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Rewrites a question into several, so that a distance-based search sees it from more than one angle.
 * The original question always comes first; with no endpoint, N of 1 or less, or any failure of the
 * endpoint, it is the only one.
 */
public final class QueryExpander {
  private static final Logger LOG = LoggerFactory.getLogger(QueryExpander.class);
  static final String SEPARATOR = "#next-question#";
  private static final Pattern NUMBERING = Pattern.compile("^\\s*(?:[-*\\u2022]|\\d+[.)]|Q\\d*[:.])\\s*");
  private static final String PROMPT = """
      You are an AI language model assistant. Your task is to generate %d different versions of the given \
      user question to retrieve relevant documents from a vector database. By generating multiple perspectives \
      on the user question, your goal is to help the user overcome some of the limitations of the distance-based \
      similarity search. Provide these alternative questions separated by '%s'. Answer with the questions only.
      Original question: %s""";

  private final ChatClient client;
  private final String model;
  private final int n;

  /** @param client null for no expansion */
  public QueryExpander(ChatClient client, String model, int n) {
    this.client = client;
    this.model = model;
    this.n = n;
  }

  public static QueryExpander off() {
    return new QueryExpander(null, null, 1);
  }

  public boolean enabled() {
    return client != null && n > 1;
  }

  public Future<List<String>> expand(String question) {
    if (!enabled()) {
      return Future.succeededFuture(List.of(question));
    }
    String prompt = String.format(Locale.ROOT, PROMPT, n - 1, SEPARATOR, question);
    return client.complete(model, List.of(ChatMessage.user(prompt)), 0.0, 64 * n)
        .map(answer -> parse(question, answer, n))
        .recover(e -> {
          LOG.warn("query expansion failed, searching the question alone: {}", e.getMessage());
          return Future.succeededFuture(List.of(question));
        });
  }

  /** The question, then up to {@code n - 1} distinct rewrites found in the model's answer. */
  static List<String> parse(String question, String answer, int n) {
    String[] parts = answer.contains(SEPARATOR) ? answer.split(Pattern.quote(SEPARATOR)) : answer.split("\\n+");
    Set<String> seen = new LinkedHashSet<>();
    seen.add(question.strip().toLowerCase(Locale.ROOT));
    List<String> queries = new ArrayList<>(List.of(question));
    for (String part : parts) {
      String q = NUMBERING.matcher(part.strip()).replaceFirst("").strip();
      if (!q.isEmpty() && queries.size() < n && seen.add(q.toLowerCase(Locale.ROOT))) {
        queries.add(q);
      }
    }
    return queries;
  }
}
