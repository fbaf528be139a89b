package dev.twinmesh.app.bench;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicInteger;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * {@code twin-mesh bench http}: streams generations from an OpenAI-compatible endpoint at several
 * concurrencies and measures what a client sees. With {@code --compare-url} the same load also runs
 * against a worker directly, level by level, so the gateway's own cost shows as a difference.
 */
@Command(name = "http", mixinStandardHelpOptions = true, sortOptions = false,
    description = {
        "Loads an OpenAI-compatible endpoint (the twin-mesh gateway, a worker, or",
        "any other server) with streamed generations: each concurrency level keeps",
        "that many requests in flight until --requests have been sent. Reports time",
        "to first token (TTFT), inter-token latency (ITL), end-to-end latency,",
        "aggregate output tokens/s and errors; prints a table and writes JSON and",
        "Markdown to --out. With --compare-url (a worker's URL) it runs each level",
        "against both and prints what the gateway adds. Requests ask for",
        "--max-tokens with ignore_eos, so every answer has the same length.",
        "With --open-streams N it instead opens N streams at once against --url and",
        "holds them for --hold: each must get its answer or stay open, none may fail;",
        "it prints the server's heap from its /metrics while they are open.",
        "With --rounds N (and --compare-url) every level runs N times; each round's",
        "gateway-minus-worker differences are reported with their median, min and",
        "max, and the gateway's targets are judged on the medians."})
public final class HttpBench implements Callable<Integer> {

  @Option(names = "--url", required = true, description = "Base URL of the endpoint under test, e.g. http://127.0.0.1:8080.")
  URI url;

  @Option(names = "--compare-url", description = "Base URL to run the same load against for comparison (a worker, e.g. http://127.0.0.1:8081).")
  URI compareUrl;

  @Option(names = "--rounds", defaultValue = "1",
      description = "With --compare-url: run every level this many times, the target that goes first alternating, "
          + "and judge the gateway's targets (<= 1 ms added TTFT p50 at the lowest concurrency, <= 3%% fewer tokens/s "
          + "at the highest) on the median of the per-round differences. The per-target rows pool all rounds. "
          + "Needs --compare-url: one target has nothing to pair. Default: ${DEFAULT-VALUE}.")
  int rounds;

  @Option(names = "--concurrency", split = ",", defaultValue = "1,16,64",
      description = "Requests in flight, one level per value. Default: ${DEFAULT-VALUE}.")
  List<Integer> concurrency;

  @Option(names = "--requests", defaultValue = "64",
      description = "Requests per level (at least the level's concurrency). Default: ${DEFAULT-VALUE}.")
  int requests;

  @Option(names = "--max-tokens", defaultValue = "64", description = "Tokens per answer. Default: ${DEFAULT-VALUE}.")
  int maxTokens;

  @Option(names = "--api-key", defaultValue = "${env:TWIN_MESH_API_KEY}", description = "Bearer key for --url.")
  String apiKey;

  @Option(names = "--compare-api-key", description = "Bearer key for --compare-url (workers need none).")
  String compareApiKey;

  @Option(names = "--model", defaultValue = "twin", description = "Model name. Default: ${DEFAULT-VALUE}.")
  String model;

  @Option(names = "--endpoint", defaultValue = "chat",
      description = "chat (/v1/chat/completions) or completions (/v1/completions). Default: ${DEFAULT-VALUE}.")
  String endpoint;

  @Option(names = "--prompt", defaultValue = "Write about retrieval-augmented generation for an LLM twin.",
      description = "The question (chat) or prompt (completions). Default: ${DEFAULT-VALUE}.")
  String prompt;

  @Option(names = "--rag", negatable = true, defaultValue = "false", fallbackValue = "true",
      description = "Send rag=true (retrieval on) to the gateway; off by default so only serving is measured.")
  boolean rag;

  @Option(names = "--warmup", defaultValue = "256",
      description = "Unmeasured requests per target first, at the highest concurrency. Default: ${DEFAULT-VALUE}.")
  int warmup;

  @Option(names = "--timeout", defaultValue = "PT5M", description = "Per-request timeout (ISO-8601). Default: ${DEFAULT-VALUE}.")
  Duration timeout;

  @Option(names = "--open-streams", description = "Open this many streams at once and hold them (instead of the levels).")
  Integer openStreams;

  @Option(names = "--hold", defaultValue = "PT30S",
      description = "How long --open-streams holds the streams once all are open (ISO-8601). Default: ${DEFAULT-VALUE}.")
  Duration hold;

  @Option(names = "--out", defaultValue = "bench-results", description = "Directory for the JSON and Markdown reports. Default: ${DEFAULT-VALUE}.")
  Path out;

  @Spec
  CommandSpec spec;

  @Override
  public Integer call() throws IOException, InterruptedException {
    if (rounds < 1) {
      throw new ParameterException(spec.commandLine(), "--rounds must be at least 1, got " + rounds);
    }
    if (rounds > 1 && (compareUrl == null || openStreams != null)) {
      throw new ParameterException(spec.commandLine(), "--rounds " + rounds + " needs --compare-url (and no "
          + "--open-streams): each round pairs a gateway run with a worker run");
    }
    if (!endpoint.equals("chat") && !endpoint.equals("completions")) {
      throw new IllegalArgumentException("--endpoint must be chat or completions, got " + endpoint);
    }
    if (requests < 1 || maxTokens < 1 || concurrency.stream().anyMatch(c -> c < 1)) {
      throw new IllegalArgumentException("--requests, --max-tokens and every --concurrency must be at least 1");
    }
    if (openStreams != null) {
      return checkOpenStreams();
    }
    Instant started = Instant.now();
    List<Target> targets = new ArrayList<>();
    targets.add(new Target(compareUrl == null ? "endpoint" : RoundRuns.GATEWAY, url, new StreamingClient(timeout, apiKey)));
    if (compareUrl != null) {
      targets.add(new Target(RoundRuns.WORKER, compareUrl, new StreamingClient(timeout, compareApiKey)));
    }
    System.out.printf("twin-mesh bench http: %s, model %s, max_tokens %d, concurrency %s, rag %s%s%n",
        endpoint, model, maxTokens, concurrency, rag ? "on" : "off", rounds > 1 ? ", " + rounds + " rounds" : "");
    for (Target target : targets) {
      System.out.printf("  %-8s %s%n", target.name, endpointUri(target.base));
    }
    warmUp(targets);

    RoundRuns runs = new RoundRuns();
    for (int round = 0; round < rounds; round++) {
      if (rounds > 1) {
        System.out.printf("  round %d of %d%n", round + 1, rounds);
      }
      for (int i = 0; i < concurrency.size(); i++) {
        int c = concurrency.get(i);
        for (Target target : inTurn(targets, round + i)) {
          int count = Math.max(requests, c);
          LevelRun run = runLevel(round, i, target, c, count);
          runs.add(run);
          System.out.printf("  done: %-8s c=%-3d %d requests, %d errors, %.1f s%n", target.name, c, count,
              run.stats().errors(), run.stats().wallSeconds());
        }
      }
    }
    // the per-target rows pool every round (RoundRuns.pooled says why); the paired rounds judge the targets
    HttpBenchReport report = new HttpBenchReport(settings(started), runs.pooled(), compareUrl != null,
        rounds > 1 ? Optional.of(new PairedRoundsReport(runs.paired())) : Optional.empty());
    System.out.println();
    System.out.print(report.table());
    Files.createDirectories(out);
    String stamp = DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss").withZone(ZoneOffset.UTC).format(started);
    Path json = out.resolve("http-" + stamp + ".json");
    Path markdown = out.resolve("http-" + stamp + ".md");
    Files.writeString(json, report.json().encodePrettily() + "\n");
    Files.writeString(markdown, report.markdown());
    System.out.println();
    System.out.println("wrote " + json + " and " + markdown);
    return runs.everyRunAnswered() ? 0 : 1;
  }

  private int checkOpenStreams() throws InterruptedException {
    if (openStreams < 1) {
      throw new IllegalArgumentException("--open-streams must be at least 1");
    }
    URI target = endpointUri(url);
    System.out.printf("twin-mesh bench http --open-streams %d: %s, model %s, max_tokens %d, hold %s, rag %s%n  %s%n",
        openStreams, endpoint, model, maxTokens, hold, rag ? "on" : "off", target);
    OpenStreamsCheck.Outcome outcome = new OpenStreamsCheck(apiKey).run(target, body(), openStreams, hold,
        () -> ServerMemory.read(url).ifPresent(HttpBench::printMemory));
    System.out.printf(Locale.ROOT, "  opened %d of %d streams in %.1f s (status 200, headers received)%n",
        outcome.opened(), outcome.streams(), outcome.openSeconds());
    System.out.printf(Locale.ROOT, "  after %.1f s: %d answered ([DONE]), %d still open, %d failed; %d keep-alive comments%n",
        outcome.heldSeconds(), outcome.answered(), outcome.stillOpen(), outcome.failed(), outcome.keepAlives());
    outcome.errorKinds().forEach((kind, n) -> System.out.printf("    %d x %s%n", n, kind));
    System.out.println(outcome.passed() ? "  PASS: every stream opened and got its answer or stayed open"
        : "  FAIL: some streams did not open, or failed");
    return outcome.passed() ? 0 : 1;
  }

  private static void printMemory(ServerMemory memory) {
    System.out.printf(Locale.ROOT, "  server heap while they are open: %.1f MB in use, %.1f MB after the last GC, max %.1f MB%n",
        memory.heapUsedBytes() / 1e6, memory.heapAfterGcBytes() / 1e6, memory.heapMaxBytes() / 1e6);
  }

  private JsonObject settings(Instant started) {
    return new JsonObject()
        .put("started", started.toString())
        .put("url", url.toString())
        .put("compare_url", compareUrl == null ? null : compareUrl.toString())
        .put("endpoint", endpoint)
        .put("model", model)
        .put("max_tokens", maxTokens)
        .put("requests_per_level", requests)
        .put("concurrency", new JsonArray(concurrency))
        .put("rounds", rounds)
        .put("rag", rag)
        .put("warmup", warmup)
        .put("prompt", prompt)
        .put("client_cores", Runtime.getRuntime().availableProcessors());
  }

  /**
   * Unmeasured load on every target, at the highest level's concurrency, before any level is timed. This
   * client shares the JVM's JIT between targets: after a handful of requests its HTTP client, SSE splitting
   * and JSON are still being compiled, so whichever target was measured first looked slower than the other
   * by more than the gateway costs (swapping --url and --compare-url turned the gateway's tokens/s at 64
   * streams from 17% behind the worker to 70% ahead of it).
   */
  private void warmUp(List<Target> targets) {
    if (warmup < 1) {
      return;
    }
    int c = Math.min(warmup, Collections.max(concurrency));
    for (Target target : targets) {
      LevelStats stats = runLevel(0, 0, target, c, warmup).stats();
      System.out.printf("  warm-up: %-8s c=%-3d %d requests, %d errors%n", target.name, c, warmup, stats.errors());
      stats.errorKinds().forEach((kind, n) -> System.out.printf("    %d x %s%n", n, kind));
    }
  }

  /**
   * The targets in the order they run at {@code index}, the round plus the level's index: alternated from
   * level to level, so that what drifts during a run (JIT, caches, other load) does not always favour the
   * same target, and from round to round, so that every level runs each target first in half the rounds
   * (at the first level, even rounds start with the gateway and odd ones with the worker).
   */
  private static List<Target> inTurn(List<Target> targets, int index) {
    List<Target> turn = new ArrayList<>(targets);
    if (index % 2 == 1) {
      Collections.reverse(turn);
    }
    return turn;
  }

  /** Keeps {@code concurrency} requests in flight until {@code count} were sent; times the whole level. */
  private LevelRun runLevel(int round, int level, Target target, int concurrency, int count) {
    URI endpointUri = endpointUri(target.base);
    String body = body();
    AtomicInteger sent = new AtomicInteger();
    List<RequestResult> results = Collections.synchronizedList(new ArrayList<>());
    long start = System.nanoTime();
    CompletableFuture<?>[] users = new CompletableFuture<?>[concurrency];
    for (int i = 0; i < concurrency; i++) {
      users[i] = sendUntilDone(target.client, endpointUri, body, sent, count, results);
    }
    CompletableFuture.allOf(users).join();
    return LevelRun.of(round, level, target.name, concurrency, List.copyOf(results), System.nanoTime() - start);
  }

  private static CompletableFuture<Void> sendUntilDone(StreamingClient client, URI endpoint, String body,
                                                       AtomicInteger sent, int count, List<RequestResult> results) {
    if (sent.getAndIncrement() >= count) {
      return CompletableFuture.completedFuture(null);
    }
    return client.send(endpoint, body).thenComposeAsync(result -> {
      results.add(result);
      return sendUntilDone(client, endpoint, body, sent, count, results);
    });
  }

  private URI endpointUri(URI base) {
    String text = base.toString().replaceAll("/+$", "").replaceAll("/v1$", "");
    return URI.create(text + (endpoint.equals("chat") ? "/v1/chat/completions" : "/v1/completions"));
  }

  private String body() {
    JsonObject body = new JsonObject()
        .put("model", model)
        .put("stream", true)
        .put("stream_options", new JsonObject().put("include_usage", true))
        .put("max_tokens", maxTokens)
        .put("ignore_eos", true)
        .put("temperature", 0)
        .put("rag", rag);
    if (endpoint.equals("chat")) {
      body.put("messages", new JsonArray().add(new JsonObject().put("role", "user").put("content", prompt)));
    } else {
      body.put("prompt", prompt);
    }
    return body.encode();
  }

  private record Target(String name, URI base, StreamingClient client) {}
}
