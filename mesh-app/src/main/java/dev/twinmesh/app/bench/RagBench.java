package dev.twinmesh.app.bench;

import dev.twinmesh.app.RandomModels;
import dev.twinmesh.app.TokenCounters;
import dev.twinmesh.rag.Author;
import dev.twinmesh.rag.RagConfig;
import dev.twinmesh.rag.RagServices;
import dev.twinmesh.rag.RetrievedContext;
import dev.twinmesh.rag.TokenCounter;
import dev.twinmesh.rag.embed.BgeSmallEmbedder;
import dev.twinmesh.rag.embed.BgeSmallModel;
import dev.twinmesh.rag.embed.Embedder;
import dev.twinmesh.rag.ingest.DocumentType;
import dev.twinmesh.rag.ingest.IngestProgress;
import dev.twinmesh.rag.ingest.IngestSummary;
import dev.twinmesh.rag.ingest.PointIds;
import dev.twinmesh.rag.ingest.SourceDocument;
import dev.twinmesh.rag.store.ChunkPayload;
import dev.twinmesh.rag.store.Distance;
import dev.twinmesh.rag.store.ScoredPoint;
import dev.twinmesh.rag.store.VectorPoint;
import dev.twinmesh.rag.store.VectorStore;
import dev.twinmesh.worker.WorkerService;
import dev.twinmesh.worker.WorkerSettings;
import dev.twinmesh.common.ChatMessage;
import dev.twinmesh.common.Json;
import dev.twinmesh.common.Names;
import dev.twinmesh.common.RagPromptReply;
import dev.twinmesh.common.RagPromptRequest;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.io.PrintWriter;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code twin-mesh bench rag}: ingestion throughput and retrieval latency of the embedded store, on a deterministic
 * synthetic corpus of several authors. A sample is ingested through the whole pipeline (clean, chunk into 512-token
 * chunks, embed with bge-small, upsert); the rest of the store is filled through the same store API with points
 * whose vectors lie near the sample's real embeddings, so that searches run over the full count without hours of
 * embedding. Retrieval is timed through the retriever the mesh uses (self-query, expansion, embed, parallel search
 * of the three collections, rerank), without and with query expansion.
 */
@Command(name = "rag", mixinStandardHelpOptions = true,
    description = {
        "Ingestion throughput (chunks/s of 512-token chunks) and retrieval latency p50/p95, with and without query",
        "expansion, over a store of --chunks chunks from a synthetic corpus of several authors.",
        "Expansion asks --expansion-url, or a tiny random-weight worker started in this JVM."})
public final class RagBench implements Callable<Integer> {
  private static final int WORDS_PER_CHUNK = 430;
  private static final int CHUNKS_PER_DOCUMENT = 8;
  private static final int FILL_BATCH = 1_000;

  @Option(names = "--chunks", defaultValue = "10000", description = "Chunks in the store when retrieval is timed. Default: ${DEFAULT-VALUE}.")
  int chunks;

  @Option(names = "--ingest-chunks", defaultValue = "160",
      description = "Chunks ingested through the full pipeline (embedding included) to time ingestion. Default: ${DEFAULT-VALUE}.")
  int ingestChunks;

  @Option(names = "--authors", defaultValue = "5", description = "Authors in the corpus (1 to 8). Default: ${DEFAULT-VALUE}.")
  int authors;

  @Option(names = "--queries", defaultValue = "200", description = "Questions timed without expansion. Default: ${DEFAULT-VALUE}.")
  int queries;

  @Option(names = "--expansion-queries", defaultValue = "20",
      description = "Questions timed with expansion; 0 skips it. Default: ${DEFAULT-VALUE}.")
  int expansionQueries;

  @Option(names = "--expand-n", defaultValue = "5", description = "Queries per question with expansion (EXPAND_N_QUERY). Default: ${DEFAULT-VALUE}.")
  int expandN;

  @Option(names = "--expansion-url", description = "An OpenAI-compatible base URL (http://host:port/v1). Default: a tiny worker in this JVM.")
  String expansionUrl;

  @Option(names = "--expansion-model", defaultValue = "twin", description = "The model named in expansion requests. Default: ${DEFAULT-VALUE}.")
  String expansionModel;

  @Option(names = "--data-dir", description = "An empty directory for the store (kept). Default: a temporary one, deleted afterwards.")
  Path dataDir;

  @Option(names = "--embedding-model", defaultValue = "${env:RAG_EMBEDDING_MODEL:-int8}",
      description = "The bge-small-en-v1.5 export that embeds: int8 or fp32 (RAG_EMBEDDING_MODEL). Default: ${DEFAULT-VALUE}.")
  String embeddingModel;

  @Option(names = "--seed", defaultValue = "42", description = "Corpus seed. Default: ${DEFAULT-VALUE}.")
  long seed;

  @Spec
  CommandSpec spec;

  private PrintWriter out;

  @Override
  public Integer call() throws Exception {
    out = spec.commandLine().getOut();
    boolean temporary = dataDir == null;
    Path dir = temporary ? Files.createTempDirectory("twin-mesh-bench-rag") : dataDir;
    if (!temporary && Files.exists(dir.resolve("vectors"))) {
      spec.commandLine().getErr().println("bench rag: " + dir + " already holds a store; give an empty --data-dir");
      return 2;
    }
    SyntheticCorpus corpus = new SyntheticCorpus(authors, seed);
    Vertx vertx = Vertx.vertx();
    RagConfig config = RagConfig.embedded(dir).withChunking(RagConfig.CHUNK_SIZE, RagConfig.CHUNK_OVERLAP)
        .withEmbeddingModel(BgeSmallModel.parse(embeddingModel));
    try (Embedder embedder = BgeSmallEmbedder.load(config.embeddingModel());
         VectorStore store = RagServices.openStore(config)) {
      out.printf(Locale.ROOT, "twin-mesh bench rag: %d chunks from %d authors, %s on %d cores (load average %.1f), "
              + "store %s%n", chunks, authors, embedder.modelName(), Runtime.getRuntime().availableProcessors(),
          loadAverage(), RagServices.vectorsDir(dir));
      Map<String, List<float[]>> sampleVectors;
      // the prompt budget counts with the served model's tokenizer, as under `up`: the tiny checkpoint's
      TokenCounter promptTokens = TokenCounters.local(tinyModel(dir));
      try (RagServices rag = RagServices.open(vertx, config, embedder, store, promptTokens)) {
        sampleVectors = ingestSample(rag, corpus);
        fill(store, corpus, sampleVectors);
        retrieve("retrieval without expansion", rag, corpus, queries, 0);
        searchOnly(embedder, store, corpus);
        promptOverEventBus(vertx, rag, corpus);
      }
      if (expansionQueries > 0) {
        withExpansion(vertx, config, embedder, store, corpus, dir);
      }
      out.printf(Locale.ROOT, "load average at the end: %.1f (other processes share these cores)%n", loadAverage());
      out.flush();
      return 0;
    } finally {
      vertx.close().await(30, TimeUnit.SECONDS);
      if (temporary) {
        deleteTree(dir);
      }
    }
  }

  /** The full pipeline on a sample; returns each author's real chunk vectors, the centres of the fill. */
  private Map<String, List<float[]>> ingestSample(RagServices rag, SyntheticCorpus corpus) {
    rag.embedder().embed(corpus.passage(0, -1, WORDS_PER_CHUNK)); // warm-up: the first run of the model is slower
    List<SourceDocument> docs = new ArrayList<>();
    // every author gets at least one document: the fill needs each author's real vectors
    int documents = Math.max(corpus.authors(), Math.round(ingestChunks / (float) CHUNKS_PER_DOCUMENT));
    int chunksPerDocument = Math.max(1, Math.min(CHUNKS_PER_DOCUMENT, ingestChunks / documents));
    for (int d = 0; d < documents; d++) {
      docs.add(corpus.document(d % corpus.authors(), d, chunksPerDocument, WORDS_PER_CHUNK));
    }
    long started = System.nanoTime();
    long cpuStarted = processCpuNanos();
    IngestSummary summary = rag.ingestor().ingestDocuments(docs, IngestProgress.none());
    double seconds = (System.nanoTime() - started) / 1e9;
    double cpuSeconds = (processCpuNanos() - cpuStarted) / 1e9;
    Map<String, List<float[]>> vectors = new LinkedHashMap<>();
    int tokens = 0;
    for (int a = 0; a < corpus.authors(); a++) {
      Author author = corpus.author(a);
      for (DocumentType type : DocumentType.values()) {
        for (ScoredPoint p : rag.store().search(type.collection(), rag.embedder().embed(corpus.question(a, 0)),
            author.id(), 1_000)) {
          vectors.computeIfAbsent(author.id(), k -> new ArrayList<>()).add(p.vector());
          tokens += rag.embedder().tokenSpans(p.payload().content()).size();
        }
      }
    }
    int stored = vectors.values().stream().mapToInt(List::size).sum();
    out.printf(Locale.ROOT, "ingest (clean, chunk, embed, upsert): %d documents -> %d chunks averaging %d tokens "
            + "in %.1f s = %.2f chunks/s (target >= 10)%n", summary.documents(), summary.chunks(),
        stored == 0 ? 0 : tokens / stored, seconds, summary.chunks() / seconds);
    out.printf(Locale.ROOT, "  this process used %.1f CPU-seconds for it: %.0f CPU-ms per chunk, so %.1f chunks/s "
            + "if all %d cores were ours%n", cpuSeconds, 1000 * cpuSeconds / summary.chunks(),
        summary.chunks() * Runtime.getRuntime().availableProcessors() / cpuSeconds,
        Runtime.getRuntime().availableProcessors());
    return vectors;
  }

  /** The rest of the store: synthetic chunk texts, vectors near a real embedding of the same author. */
  private void fill(VectorStore store, SyntheticCorpus corpus, Map<String, List<float[]>> centres) {
    long present = 0;
    for (DocumentType type : DocumentType.values()) {
      present += store.count(type.collection());
    }
    long missing = chunks - present;
    if (missing <= 0) {
      return;
    }
    SplittableRandom random = new SplittableRandom(seed);
    Map<String, List<VectorPoint>> batch = new LinkedHashMap<>();
    long started = System.nanoTime();
    for (long i = 0; i < missing; i++) {
      int a = (int) (i % corpus.authors());
      Author author = corpus.author(a);
      List<float[]> near = centres.get(author.id());
      String collection = corpus.type(i).collection();
      String content = corpus.passage(a, 1_000_000 + i, WORDS_PER_CHUNK);
      float[] vector = perturb(near.get(random.nextInt(near.size())), random);
      batch.computeIfAbsent(collection, k -> new ArrayList<>()).add(new VectorPoint(PointIds.pointId(author.id(), content),
          vector, new ChunkPayload(author.id(), author.name(), collection, "bench/fill/" + i, content, 0,
          PointIds.sha256Hex(content))));
      if (i % FILL_BATCH == FILL_BATCH - 1 || i == missing - 1) {
        batch.forEach((c, points) -> {
          store.ensureCollection(c, vector.length, Distance.COSINE);
          store.upsert(c, points);
        });
        batch.clear();
      }
    }
    double seconds = (System.nanoTime() - started) / 1e9;
    long total = 0;
    for (DocumentType type : DocumentType.values()) {
      total += store.count(type.collection());
    }
    out.printf(Locale.ROOT, "fill (store upsert, no embedding): %d points in %.1f s = %.0f points/s; store now holds "
        + "%d chunks%n", missing, seconds, missing / seconds, total);
  }

  /** A unit vector at a cosine of about 0.9 from {@code centre}. */
  private static float[] perturb(float[] centre, SplittableRandom random) {
    float[] v = new float[centre.length];
    double scale = 0.5 / Math.sqrt(centre.length);
    double norm = 0;
    for (int i = 0; i < v.length; i++) {
      v[i] = (float) (centre[i] + scale * gaussian(random));
      norm += v[i] * v[i];
    }
    float inv = (float) (1 / Math.sqrt(norm));
    for (int i = 0; i < v.length; i++) {
      v[i] *= inv;
    }
    return v;
  }

  private static double gaussian(SplittableRandom random) {
    return Math.sqrt(-2 * Math.log(1 - random.nextDouble())) * Math.cos(2 * Math.PI * random.nextDouble());
  }

  /** Questions one after another through the mesh's retriever, each for one author; a few first to warm up. */
  private void retrieve(String label, RagServices rag, SyntheticCorpus corpus, int n, int offset) throws Exception {
    int warmUp = Math.min(10, Math.max(1, n / 10));
    Latencies total = new Latencies();
    Latencies expand = new Latencies();
    Latencies embed = new Latencies();
    Latencies search = new Latencies();
    int found = 0;
    int searched = 0;
    long cpu = 0;
    for (int q = -warmUp; q < n; q++) {
      long cpuStarted = processCpuNanos();
      int a = Math.floorMod(q, corpus.authors());
      String question = corpus.question(a, offset + q + warmUp + 1);
      long started = System.nanoTime();
      RetrievedContext context = rag.retriever().retrieve(question, corpus.author(a).name())
          .toCompletionStage().toCompletableFuture().get(5, TimeUnit.MINUTES);
      long took = System.nanoTime() - started;
      if (q >= 0) {
        cpu += processCpuNanos() - cpuStarted;
        total.add(took);
        expand.add(context.timingsMs().getOrDefault("expand", 0L) * 1_000_000);
        embed.add(context.timingsMs().getOrDefault("embed", 0L) * 1_000_000);
        search.add(context.timingsMs().getOrDefault("search", 0L) * 1_000_000);
        found += context.chunks().size();
        searched += context.queries().size();
      }
    }
    out.printf(Locale.ROOT, "%s: %s; %.1f queries searched and %.1f chunks kept per question%n", label,
        total.summary(), searched / (double) n, found / (double) n);
    out.printf(Locale.ROOT, "  steps (ms resolution): expand %s; embed %s; search %s%n", expand.summary(),
        embed.summary(), search.summary());
    out.printf(Locale.ROOT, "  this process used %.1f CPU-ms per question (every thread, the in-JVM worker's included)%n",
        cpu / 1e6 / n);
  }

  /** One collection, one author filter, a question vector already embedded: the store's own share. */
  private void searchOnly(Embedder embedder, VectorStore store, SyntheticCorpus corpus) {
    Latencies latencies = new Latencies();
    for (int q = 0; q < queries; q++) {
      int a = q % corpus.authors();
      float[] vector = embedder.embed(corpus.question(a, 10_000 + q));
      String collection = corpus.type(q).collection();
      long started = System.nanoTime();
      store.search(collection, vector, corpus.author(a).id(), RagConfig.TOP_K);
      latencies.add(System.nanoTime() - started);
    }
    out.printf(Locale.ROOT, "store search alone (one collection, author filter, top %d): %s%n", RagConfig.TOP_K,
        latencies.summary());
  }

  /**
   * What the gateway waits for: a {@code rag.prompt} request over the event bus, answered with the retrieved context
   * rendered into the templates and cut to MAX_INPUT_TOKENS (five 512-token chunks never fit: every prompt is cut).
   */
  private void promptOverEventBus(Vertx vertx, RagServices rag, SyntheticCorpus corpus) throws Exception {
    String deployment = vertx.deployVerticle(rag.verticle()).await(30, TimeUnit.SECONDS);
    try {
      Latencies total = new Latencies();
      Latencies build = new Latencies();
      int warmUp = 10;
      for (int q = -warmUp; q < queries; q++) {
        int a = Math.floorMod(q, corpus.authors());
        JsonObject request = Json.toJsonObject(new RagPromptRequest("bench-" + q,
            List.of(ChatMessage.user(corpus.question(a, 20_000 + q))), null, corpus.author(a).name(), true));
        long started = System.nanoTime();
        RagPromptReply reply = Json.fromJsonObject(vertx.eventBus().<JsonObject>request(Names.ADDRESS_RAG_PROMPT, request)
            .await(1, TimeUnit.MINUTES).body(), RagPromptReply.class);
        long took = System.nanoTime() - started;
        if (q >= 0) {
          total.add(took);
          build.add(took - reply.tookMs() * 1_000_000);
        }
      }
      out.printf(Locale.ROOT, "rag.prompt over the event bus (retrieval, templates, cut to %d tokens): %s%n",
          rag.config().maxInputTokens(), total.summary());
      out.printf(Locale.ROOT, "  of which prompt building and the event bus (ms resolution): %s%n", build.summary());
    } finally {
      vertx.undeploy(deployment).await(30, TimeUnit.SECONDS);
    }
  }

  private void withExpansion(Vertx vertx, RagConfig config, Embedder embedder, VectorStore store,
                             SyntheticCorpus corpus, Path dir) throws Exception {
    WorkerService worker = null;
    String url = expansionUrl;
    if (url == null) {
      Path model = tinyModel(dir);
      worker = WorkerService.start(vertx, new WorkerSettings(model, expansionModel, "127.0.0.1", 0, "bench-expansion",
          new WorkerSettings.Runtime("cpu", 1, 2048, 8, 64))).await(5, TimeUnit.MINUTES);
      url = "http://127.0.0.1:" + worker.port() + "/v1";
    }
    try (RagServices rag = RagServices.open(vertx, config.withExpansion(url, expansionModel, expandN,
        Duration.ofSeconds(60)), embedder, store, TokenCounter.approximate())) {
      out.printf("expansion: %d queries per question from %s%s%n", expandN, url,
          worker == null ? "" : " (a tiny random-weight worker in this JVM: its time is its generation)");
      retrieve("retrieval with expansion", rag, corpus, expansionQueries, queries);
    } finally {
      if (worker != null) {
        worker.close();
      }
    }
  }

  private static Path tinyModel(Path dataDir) {
    return RandomModels.ensure(dataDir.resolve("models").resolve("tiny"), "tiny");
  }

  /** CPU time of every thread of this process: wall time alone says little on cores shared with other builds. */
  private static long processCpuNanos() {
    return ManagementFactory.getOperatingSystemMXBean() instanceof com.sun.management.OperatingSystemMXBean os
        ? os.getProcessCpuTime() : 0;
  }

  private static double loadAverage() {
    return ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage();
  }

  private static void deleteTree(Path root) throws IOException {
    if (!Files.exists(root)) {
      return;
    }
    try (Stream<Path> paths = Files.walk(root)) {
      for (Path p : paths.sorted(Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(p);
      }
    }
  }
}
