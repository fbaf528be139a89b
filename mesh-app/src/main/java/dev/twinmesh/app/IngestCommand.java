package dev.twinmesh.app;

import dev.twinmesh.rag.Author;
import dev.twinmesh.rag.RagConfig;
import dev.twinmesh.rag.RagServices;
import dev.twinmesh.rag.TokenCounter;
import dev.twinmesh.rag.ingest.DocumentType;
import dev.twinmesh.rag.ingest.IngestSummary;
import dev.twinmesh.rag.ingest.SourceReader;
import dev.twinmesh.rag.store.StoreLockedException;
import io.vertx.core.Vertx;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

@Command(name = "ingest", mixinStandardHelpOptions = true,
    description = {
        "Puts your writing into the twin's collections: Markdown, plain text, HTML and JSON exports of posts and",
        "articles, and the files of a code repository. They are cleaned, cut into 512-token chunks, embedded",
        "(bge-small-en-v1.5) and stored; ids come from the content, so ingesting again changes nothing.",
        "",
        "With --url the documents go to a running business service's /v1/ingest (use this while 'up' runs:",
        "it holds the store). Without it the embedded store in --data-dir is written directly.",
        "",
        "PATH is a file or a folder with --author, or without it an ingestion tree:",
        "  <author-id>/author.json, <author-id>/posts/, <author-id>/articles/, <author-id>/repositories/<repo>/"})
final class IngestCommand implements Callable<Integer> {
  enum Type {
    POST(DocumentType.POSTS), ARTICLE(DocumentType.ARTICLES), REPOSITORY(DocumentType.REPOSITORIES);

    final DocumentType documentType;

    Type(DocumentType documentType) {
      this.documentType = documentType;
    }
  }

  @Parameters(index = "0", paramLabel = "PATH", description = "A file, a folder, or an ingestion tree (without --author).")
  Path path;

  @Option(names = "--author", paramLabel = "NAME",
      description = "Whose writing this is: a known author's id, name or alias, or a new author's name.")
  String author;

  @Option(names = "--type", paramLabel = "TYPE",
      description = "post, article or repository. Default: repository for a folder with .git, else post.")
  Type type;

  @Option(names = "--link", paramLabel = "URL",
      description = "For a repository: its web address, cited as each file's source instead of the folder name.")
  String link;

  @Option(names = "--url", defaultValue = "${env:TWIN_MESH_URL}", paramLabel = "URL",
      description = "A running business service, e.g. http://localhost:8080: send the documents to its /v1/ingest.")
  String url;

  @Option(names = "--api-key", defaultValue = "${env:TWIN_MESH_API_KEY}", paramLabel = "KEY",
      description = "The Bearer key the service expects, with --url.")
  String apiKey;

  @Option(names = "--data-dir", defaultValue = "${env:TWIN_MESH_HOME:-${sys:user.home}/.twin-mesh}",
      description = "Without --url: the data directory of 'twin-mesh up' (the store is in its rag/). Default: ${DEFAULT-VALUE}.")
  Path dataDir;

  @Spec
  CommandSpec spec;

  @Override
  public Integer call() throws Exception {
    PrintWriter out = spec.commandLine().getOut();
    PrintWriter err = spec.commandLine().getErr();
    if (!Files.exists(path)) {
      err.println("twin-mesh ingest: " + path + " does not exist");
      return 2;
    }
    if (author == null && !Files.isDirectory(path)) {
      err.println("twin-mesh ingest: say whose writing " + path + " is with --author NAME");
      return 2;
    }
    long started = System.currentTimeMillis();
    try {
      IngestTally tally = url != null ? overHttp(err) : embedded(err);
      tally.print(out, System.currentTimeMillis() - started);
      return 0;
    } catch (IngestClient.IngestFailed | IllegalArgumentException | IOException e) {
      err.println("twin-mesh ingest: " + e.getMessage());
      return 1;
    } catch (StoreLockedException e) {
      err.println("twin-mesh ingest: twin-mesh up is running: use --url http://localhost:8080 (" + e.getMessage() + ")");
      return 1;
    }
  }

  private IngestTally overHttp(PrintWriter err) throws IOException {
    // The service resolves a name against its own author directory; here it only labels the documents.
    SourceReader.Read read = read(author == null ? null : new Author(slugOrName(author), author));
    IngestClient client = new IngestClient(url, apiKey, author);
    err.printf("sending %d documents from %d files to %s%n", read.documents().size(), read.files(), client.endpoint());
    IngestTally tally = new IngestTally(read.files());
    read.skipped().forEach(s -> tally.skip(s.source(), s.reason()));
    ProgressBar bar = new ProgressBar(err, "documents");
    int total = read.documents().size();
    client.send(read.documents(), tally, (sent, chunks, last) -> bar.update(sent, total, chunks, last));
    return tally;
  }

  private IngestTally embedded(PrintWriter err) throws Exception {
    RagConfig config = RagConfig.fromEnv(System.getenv(), dataDir.resolve("rag"));
    Vertx vertx = Vertx.vertx();
    try (RagServices rag = RagServices.open(vertx, config, TokenCounter.approximate())) {
      SourceReader.Read read = read(author == null ? null : rag.authors().resolveOrNamed(author));
      err.printf("ingesting %d documents from %d files into %s%n", read.documents().size(), read.files(),
          config.store() == RagConfig.StoreType.EMBEDDED ? RagServices.vectorsDir(config.dataDir()) : config.qdrantUrl());
      ProgressBar bar = new ProgressBar(err, "documents");
      int[] chunks = {0};
      IngestSummary summary = rag.ingestor().ingest(read, (done, total, source, stored) -> {
        chunks[0] += stored;
        bar.update(done, total, chunks[0], source);
      });
      return IngestTally.of(summary, read.files());
    } finally {
      vertx.close().await(10, TimeUnit.SECONDS);
    }
  }

  /** The one way to read: rag's SourceReader, as a tree, a repository, a folder or a file. */
  private SourceReader.Read read(Author who) throws IOException {
    SourceReader reader = new SourceReader();
    if (who == null) {
      return reader.readTree(path);
    }
    boolean folder = Files.isDirectory(path);
    DocumentType kind = type != null ? type.documentType
        : folder && Files.exists(path.resolve(".git")) ? DocumentType.REPOSITORIES : DocumentType.POSTS;
    if (kind == DocumentType.REPOSITORIES) {
      if (!folder) {
        throw new IllegalArgumentException("a repository must be a folder, not " + path);
      }
      return reader.readRepository(path, who, link);
    }
    return folder ? reader.readFolder(path, who, kind) : reader.readFile(path, who, kind);
  }

  private static String slugOrName(String name) {
    String slug = Author.slug(name);
    return slug.isEmpty() ? name.strip() : slug;
  }
}
