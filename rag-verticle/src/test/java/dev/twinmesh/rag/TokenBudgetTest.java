package dev.twinmesh.rag;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.twinmesh.common.ChatMessage;
import dev.twinmesh.common.RagPromptReply;
import dev.twinmesh.common.TraceRecord;
import java.util.List;
import org.junit.jupiter.api.Test;

class TokenBudgetTest {
  /** One token per word: easy to reason about in a test. */
  private static final TokenCounter WORDS = text -> text.isBlank() ? 0 : text.strip().split("\\s+").length;

  @Test
  void aTextThatFitsIsLeftAlone() {
    assertEquals("one two three.", new TokenBudget(WORDS).truncate("one two three.", 3));
  }

  @Test
  void aLongTextIsCutAtTheLastSentenceThatFits() {
    String text = "First sentence here. Second one is longer. Third sentence will not fit at all.";
    assertEquals("First sentence here. Second one is longer.", new TokenBudget(WORDS).truncate(text, 9));
  }

  @Test
  void withoutASentenceBoundaryTheCutFallsBetweenWords() {
    assertEquals("alpha beta gamma", new TokenBudget(WORDS).truncate("alpha beta gamma delta epsilon", 3));
  }

  @Test
  void theCutIsTheLastSentenceEndThatFitsWhateverTheTextsDensity() {
    java.util.SplittableRandom random = new java.util.SplittableRandom(7);
    for (int round = 0; round < 200; round++) {
      StringBuilder text = new StringBuilder();
      int sentences = 1 + random.nextInt(60);
      for (int i = 0; i < sentences; i++) {
        int words = 1 + random.nextInt(random.nextBoolean() ? 4 : 40);
        for (int w = 0; w < words; w++) {
          // capitals start sentences: BreakIterator takes ". w" for an abbreviation, not a sentence end
          text.append(w == 0 ? "W" : "w").append("w".repeat(random.nextInt(random.nextBoolean() ? 3 : 30)))
              .append(w == words - 1 ? "" : " ");
        }
        text.append(". ");
      }
      int max = 1 + random.nextInt(Math.max(1, WORDS.count(text.toString())));
      String cut = new TokenBudget(WORDS).truncate(text.toString(), max);
      assertTrue(WORDS.count(cut) <= max, cut);
      String lastFitting = lastFittingSentenceByBruteForce(text.toString(), max);
      if (lastFitting != null) {
        assertEquals(lastFitting, cut, "round " + round + ", max " + max);
      }
    }
  }

  /** A context five times the budget is cut with a handful of counts: each may tokenize kilobytes or cross the network. */
  @Test
  void cuttingALongContextCostsAHandfulOfCounts() {
    int[] counts = {0};
    TokenCounter counting = text -> {
      counts[0]++;
      return TokenCounter.approximate().count(text);
    };
    StringBuilder context = new StringBuilder();
    for (int i = 0; context.length() < 40_000; i++) {
      context.append("Sentence ").append(i).append(" of the context talks about caches, queues and vectors. ");
    }
    String cut = new TokenBudget(counting).truncate(context.toString(), 1536);
    assertTrue(TokenCounter.approximate().count(cut) <= 1536);
    assertTrue(TokenCounter.approximate().count(cut) > 1400, "the cut uses the budget");
    assertTrue(counts[0] <= 6, counts[0] + " counts");
  }

  private static String lastFittingSentenceByBruteForce(String text, int max) {
    if (WORDS.count(text) <= max) {
      return text;
    }
    String best = null;
    for (int i = 0; i < text.length(); i++) {
      char c = text.charAt(i);
      if (c == '.') {
        String prefix = text.substring(0, i + 1).stripTrailing();
        if (WORDS.count(prefix) <= max) {
          best = prefix;
        }
      }
    }
    return best;
  }

  @Test
  void theApproximateCounterErsHighAndGrowsWithTheText() {
    TokenCounter approx = TokenCounter.approximate();
    assertEquals(0, approx.count(""));
    assertEquals(3, approx.count("a, b"));
    assertEquals(5, approx.count("internationalization"));
    assertTrue(approx.count("word ".repeat(100)) >= 100);
  }

  @Test
  void theUserPromptIsCutToTheBudgetLessTheSystemPrompt() {
    int max = 200;
    PromptBuilder builder = new PromptBuilder(PromptTemplates.builtIn(), WORDS, max);
    String longChunk = "This sentence has exactly seven words. ".repeat(100);
    RetrievedContext context = new RetrievedContext(List.of(longChunk),
        List.of(new TraceRecord.RetrievedChunk("a", 0.9, "posts", "p1")));
    RagPromptReply reply = builder.build(List.of(ChatMessage.user("Tell me about words")), "Tell me about words", "Ada",
        context, 0);
    String system = reply.messages().get(0).content();
    String user = reply.messages().get(1).content();
    assertTrue(WORDS.count(system) + WORDS.count(user) <= max,
        "system " + WORDS.count(system) + " + user " + WORDS.count(user) + " > " + max);
    assertTrue(user.startsWith("### Instruction:\nTell me about words\n\n### Context:\nThis sentence"), user);
    assertTrue(user.endsWith("seven words."), "cut at a sentence end: " + user.substring(user.length() - 30));
    assertEquals("true", reply.variables().get(PromptBuilder.VAR_TRUNCATED));
    assertTrue(reply.contextTokens() > 100 && reply.contextTokens() < max, "context tokens " + reply.contextTokens());
  }

  @Test
  void aHugeQuestionWithoutContextIsCutToTheWholeBudget() {
    PromptBuilder builder = new PromptBuilder(PromptTemplates.builtIn(), WORDS, 100);
    String huge = "Why is the sky blue? ".repeat(1000);
    RagPromptReply reply = builder.build(List.of(ChatMessage.user(huge)), huge, null, RetrievedContext.EMPTY, 0);
    String user = reply.messages().get(0).content();
    assertTrue(WORDS.count(user) <= 100);
    assertTrue(user.endsWith("blue?"), user);
    assertEquals(0, reply.contextTokens());
  }

  @Test
  void anUntruncatedPromptCountsItsContextTokens() {
    PromptBuilder builder = new PromptBuilder(PromptTemplates.builtIn(), WORDS, 1536);
    RetrievedContext context = new RetrievedContext(List.of("one two", "three"), List.of());
    RagPromptReply reply = builder.build(List.of(), "q", null, context, 0);
    assertEquals(3, reply.contextTokens());
    assertEquals(null, reply.variables().get(PromptBuilder.VAR_TRUNCATED));
  }
}
