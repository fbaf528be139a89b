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
