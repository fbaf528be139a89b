package dev.twinmesh.rag.ingest;

import java.util.Locale;

/** The three kinds of an author's writing; each has its own collection. */
public enum DocumentType {
  POSTS,
  ARTICLES,
  REPOSITORIES;

  /** The collection name, and the folder name in an ingestion tree: posts, articles, repositories. */
  public String collection() {
    return name().toLowerCase(Locale.ROOT);
  }

  public static DocumentType ofFolder(String folder) {
    for (DocumentType type : values()) {
      if (type.collection().equalsIgnoreCase(folder)) {
        return type;
      }
    }
    return null;
  }
}
