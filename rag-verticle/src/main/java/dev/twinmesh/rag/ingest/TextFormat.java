package dev.twinmesh.rag.ingest;

/** How a document's text is written, which decides how it is cleaned. */
public enum TextFormat {
  PLAIN,
  MARKDOWN,
  HTML,
  CODE
}
