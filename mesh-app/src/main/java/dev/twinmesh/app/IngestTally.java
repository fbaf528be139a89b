package dev.twinmesh.app;

import dev.twinmesh.common.IngestReply;
import dev.twinmesh.rag.ingest.IngestSummary;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/** What {@code twin-mesh ingest} did, added up over the service's replies or the one local summary, and printed. */
final class IngestTally {
  private static final int SOURCES_SHOWN = 5;

  private final int files;
  private int documents;
  private int chunks;
  private final Map<String, Integer> perCollection = new LinkedHashMap<>();
  private final List<IngestReply.Skipped> skipped = new ArrayList<>();

  IngestTally(int files) {
    this.files = files;
  }

  static IngestTally of(IngestSummary summary, int files) {
    IngestTally tally = new IngestTally(files);
    tally.documents = summary.documents();
    tally.chunks = summary.chunks();
    tally.perCollection.putAll(summary.perCollection());
    summary.skipped().forEach(s -> tally.skip(s.source(), s.reason()));
    return tally;
  }

  void add(IngestReply reply) {
    documents += reply.documents();
    chunks += reply.chunks();
    reply.perCollection().forEach((c, n) -> perCollection.merge(c, n, Integer::sum));
    skipped.addAll(reply.skipped());
  }

  void skip(String source, String reason) {
    skipped.add(new IngestReply.Skipped(source, reason));
  }

  int documents() { return documents; }
  int chunks() { return chunks; }
  int files() { return files; }
  List<IngestReply.Skipped> skipped() { return List.copyOf(skipped); }

  /** One line of totals, then the skipped files grouped by reason. */
  void print(PrintWriter out, long tookMs) {
    StringBuilder collections = new StringBuilder();
    perCollection.forEach((c, n) -> collections.append(collections.isEmpty() ? "" : ", ").append(c).append(' ').append(n));
    out.printf(Locale.ROOT, "ingested %d documents from %d files into %d chunks%s in %.1f s%n", documents, files,
        chunks, collections.isEmpty() ? "" : " (" + collections + ")", tookMs / 1000.0);
    if (skipped.isEmpty()) {
      out.println("skipped nothing");
    } else {
      Map<String, List<String>> byReason = new LinkedHashMap<>();
      skipped.forEach(s -> byReason.computeIfAbsent(s.reason(), r -> new ArrayList<>()).add(s.source()));
      out.printf("skipped %d:%n", skipped.size());
      byReason.forEach((reason, sources) -> out.printf("  %s (%d): %s%s%n", reason, sources.size(),
          String.join(", ", sources.subList(0, Math.min(SOURCES_SHOWN, sources.size()))),
          sources.size() > SOURCES_SHOWN ? ", ..." : ""));
    }
    out.flush();
  }
}
