package dev.twinmesh.rag.ingest;

/** Told after each document is stored: how many are done out of how many, and which one it was. */
@FunctionalInterface
public interface IngestProgress {
  void documentDone(int done, int total, String source, int chunks);

  static IngestProgress none() {
    return (done, total, source, chunks) -> {};
  }
}
