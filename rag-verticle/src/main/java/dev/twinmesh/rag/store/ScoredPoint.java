package dev.twinmesh.rag.store;

/** A search hit: the point's id, its similarity to the query, its payload and its vector (for reranking). */
public record ScoredPoint(String id, double score, ChunkPayload payload, float[] vector) {}
