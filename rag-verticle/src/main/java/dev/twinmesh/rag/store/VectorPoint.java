package dev.twinmesh.rag.store;

/** One point to store: a UUID id, a vector and its payload. */
public record VectorPoint(String id, float[] vector, ChunkPayload payload) {}
