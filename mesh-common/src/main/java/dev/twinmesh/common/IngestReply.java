package dev.twinmesh.common;

import java.util.List;
import java.util.Map;

/**
 * What one ingestion request did: the body of a {@code POST /v1/ingest} answer and of the {@code rag.ingest} reply.
 *
 * @param authorId      the author the writing was stored under
 * @param authorName    that author's display name
 * @param documents     documents cleaned, chunked and stored (a JSON export may hold many)
 * @param chunks        chunks upserted; ids come from the content, so sending the same text again adds none
 * @param perCollection chunks per collection (posts, articles, repositories)
 * @param skipped       documents left out, and why
 * @param tookMs        wall time on the service
 */
public record IngestReply(String authorId, String authorName, int documents, int chunks,
                          Map<String, Integer> perCollection, List<Skipped> skipped, long tookMs) {

  public IngestReply {
    perCollection = perCollection == null ? Map.of() : Map.copyOf(perCollection);
    skipped = skipped == null ? List.of() : List.copyOf(skipped);
  }

  public record Skipped(String source, String reason) {}
}
