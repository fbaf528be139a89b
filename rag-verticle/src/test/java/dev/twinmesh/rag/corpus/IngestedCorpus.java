package dev.twinmesh.rag.corpus;

import dev.twinmesh.rag.AuthorDirectory;
import dev.twinmesh.rag.RagConfig;
import dev.twinmesh.rag.embed.Embedder;
import dev.twinmesh.rag.embed.SharedEmbedder;
import dev.twinmesh.rag.ingest.IngestProgress;
import dev.twinmesh.rag.ingest.IngestSummary;
import dev.twinmesh.rag.ingest.Ingestor;
import dev.twinmesh.rag.store.LuceneVectorStore;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.stream.Stream;

/** {@link TestCorpus} ingested once per test JVM into an embedded store in a temporary data directory. */
public record IngestedCorpus(Path root, Path dataDir, LuceneVectorStore store, AuthorDirectory authors,
                             Ingestor ingestor, IngestSummary summary) {
  private static IngestedCorpus instance;

  public static synchronized IngestedCorpus get() {
    if (instance == null) {
      instance = ingest();
    }
    return instance;
  }

  public Embedder embedder() {
    return SharedEmbedder.get();
  }

  private static IngestedCorpus ingest() {
    try {
      Path tmp = Files.createTempDirectory("twin-rag-corpus");
      Runtime.getRuntime().addShutdownHook(new Thread(() -> delete(tmp)));
      Path root = tmp.resolve("corpus");
      Path dataDir = tmp.resolve("data");
      TestCorpus.write(root);
      LuceneVectorStore store = new LuceneVectorStore(dataDir.resolve("vectors"));
      AuthorDirectory authors = AuthorDirectory.open(dataDir.resolve("authors.json"));
      Ingestor ingestor = new Ingestor(SharedEmbedder.get(), store, authors, RagConfig.CHUNK_SIZE, RagConfig.CHUNK_OVERLAP);
      IngestSummary summary = ingestor.ingestTree(root, IngestProgress.none());
      return new IngestedCorpus(root, dataDir, store, authors, ingestor, summary);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static void delete(Path dir) {
    try (Stream<Path> files = Files.walk(dir)) {
      files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    } catch (IOException e) {
      // a temporary directory left behind is harmless
    }
  }
}
