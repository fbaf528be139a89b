package dev.twinmesh.rag.ingest;

import dev.twinmesh.rag.Author;

/** One piece of an author's writing before cleaning: a post, an article or a source file. */
public record SourceDocument(Author author, DocumentType type, String source, String text, TextFormat format) {}
