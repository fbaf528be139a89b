package dev.twinmesh.rag;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.twinmesh.common.ChatMessage;
import dev.twinmesh.common.RagPromptReply;
import dev.twinmesh.common.TraceRecord;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class PromptBuilderTest {
  private final PromptBuilder builder = new PromptBuilder(PromptTemplates.builtIn());

  @Test
  void withoutContextTheQuestionGoesInTheAlpacaInstruction() {
    RagPromptReply reply = builder.build(List.of(ChatMessage.user("Write about RAG")), "Write about RAG", null,
        RetrievedContext.EMPTY, 0);
    assertEquals(List.of(ChatMessage.user("### Instruction:\nWrite about RAG")), reply.messages());
    assertEquals("instruction", reply.template());
  }

  @Test
  void withContextTheSystemPromptAndContextSectionAppear() {
    RetrievedContext context = new RetrievedContext(List.of("chunk one", "chunk two"),
        List.of(new TraceRecord.RetrievedChunk("a", 0.9, "posts", "p1")));
    RagPromptReply reply = builder.build(
        List.of(ChatMessage.system("old"), ChatMessage.user("first"), ChatMessage.assistant("ok"), ChatMessage.user("q")),
        "q", "Ada", context, 3);
    assertEquals("system", reply.messages().get(0).role());
    assertTrue(reply.messages().get(0).content().contains("Ada"));
    assertEquals(List.of(ChatMessage.user("first"), ChatMessage.assistant("ok"),
        ChatMessage.user("### Instruction:\nq\n\n### Context:\nchunk one\n\nchunk two")), reply.messages().subList(1, 4));
    assertEquals("instruction-with-context", reply.template());
    assertEquals("chunk one\n\nchunk two", reply.variables().get("context"));
  }

  @Test
  void aTemplateWithAnUnknownSlotIsRefused() {
    PromptTemplate broken = new PromptTemplate("broken", "{question} {missing}");
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> broken.render(Map.of("question", "q")));
    assertTrue(e.getMessage().contains("{missing}"));
  }
}
