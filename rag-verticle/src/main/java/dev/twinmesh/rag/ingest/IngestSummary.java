package dev.twinmesh.rag.ingest;

import java.util.List;
import java.util.Map;

/**
 * What one ingestion did.
 *
 * @param files       files read (a JSON export counts once, however many documents it holds)
 * @param documents   documents cleaned, chunked and stored
 * @param chunks      chunks upserted (re-ingesting the same text upserts the same ids again)
 * @param perCollection chunks per collection
 * @param skipped     files or documents left out, and why
 * @param tookMs      wall time
 */
public record IngestSummary(int files, int documents, int chunks, Map<String, Integer> perCollection,
                            List<Skipped> skipped, long tookMs) {

  public record Skipped(String source, String reason) {}
}
