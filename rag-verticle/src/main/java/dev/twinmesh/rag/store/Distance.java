package dev.twinmesh.rag.store;

/** How vectors of a collection are compared. Scores come back as the similarity itself (cosine: -1 to 1). */
public enum Distance {
  COSINE,
  DOT
}
