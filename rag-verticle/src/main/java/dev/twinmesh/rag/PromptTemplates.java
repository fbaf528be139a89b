package dev.twinmesh.rag;

import java.nio.file.Path;
import java.util.Map;

/** The twin's three templates: the instruction alone, the instruction with context, and the RAG system prompt. */
public record PromptTemplates(PromptTemplate instruction, PromptTemplate instructionWithContext, PromptTemplate ragSystem) {

  public static PromptTemplates builtIn() {
    return load(Map.of());
  }

  /** Built-in templates, each replaceable by a file named in {@code overrides} (by template name). */
  public static PromptTemplates load(Map<String, Path> overrides) {
    return new PromptTemplates(
        PromptTemplate.load("instruction", overrides.get("instruction")),
        PromptTemplate.load("instruction-with-context", overrides.get("instruction-with-context")),
        PromptTemplate.load("rag-system", overrides.get("rag-system")));
  }
}
