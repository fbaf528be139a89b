package dev.twinmesh.rag.embed;

/** Where one token sits in the text it came from: characters {@code [start, end)}. */
public record TokenSpan(int start, int end) {}
