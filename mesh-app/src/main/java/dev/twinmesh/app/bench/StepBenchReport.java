package dev.twinmesh.app.bench;

import dev.twinmesh.worker.checkpoint.ModelConfig;
import dev.twinmesh.worker.model.DjlRuntime;
import dev.twinmesh.worker.model.HugePages;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/** The step benchmark's runs, as Markdown (printed) and JSON. */
final class StepBenchReport {

  /** One case in one round: its step times in nanoseconds. */
  record Run(int sequences, BlockLayout layout, int round, Latencies steps) {}

  private final Path model;
  private final ModelConfig config;
  private final String device;
  private final String dtype;
  private final int threads;
  private final int context;
  private final int poolBlocks;
  private final int blockSize;
  private final ModelCost cost;
  private final String loadBefore = EngineBenchReport.loadAverage();
  private String loadAfter; // read when the report is first rendered, so the printed and the written copy agree
  private final List<Run> runs = new ArrayList<>();

  StepBenchReport(Path model, ModelConfig config, DjlRuntime runtime, int context, int poolBlocks, int blockSize,
                  ModelCost cost) {
    this.model = model;
    this.config = config;
    this.device = runtime.device().toString();
    this.dtype = runtime.weightType().toString();
    this.threads = runtime.engineThreads();
    this.context = context;
    this.poolBlocks = poolBlocks;
    this.blockSize = blockSize;
    this.cost = cost;
  }

  void add(Run run) {
    runs.add(run);
  }

  /** Tokens per second of a step at its median time: one token per sequence. */
  static double tokensPerSecond(Run run) {
    return run.sequences() * 1000.0 / run.steps().percentileMs(50);
  }

  /** Model FLOP/s at the median step: projections, attention over the context and the logits row, per token. */
  double flops(Run run) {
    return tokensPerSecond(run) * cost.decodeFlopsPerToken(context);
  }

  String markdown() {
    StringBuilder md = new StringBuilder();
    md.append("# twin-mesh decode step benchmark\n");
    md.append(String.format(Locale.ROOT, "- model: %s (%s, %,d parameters), %s %s, %d intra-op threads%n", model,
        config.architecture(), config.parameterCount(), device, dtype, threads));
    md.append(String.format(Locale.ROOT, "- context %d positions per sequence; KV pool %d blocks x %d tokens%n",
        context, poolBlocks, blockSize));
    md.append(EngineBenchReport.hugePagesLine());
    if (loadAfter == null) {
      loadAfter = EngineBenchReport.loadAverage();
    }
    md.append("- load average before / after: ").append(loadBefore).append(" / ").append(loadAfter).append("\n\n");
    md.append("| round | sequences | layout | steps | min ms | p50 ms | p90 ms | tok/s at p50 | GFLOP/s at p50 |\n");
    md.append("|---:|---:|---|---:|---:|---:|---:|---:|---:|\n");
    for (Run run : runs) {
      Latencies steps = run.steps();
      md.append(String.format(Locale.ROOT, "| %d | %d | %s | %d | %.2f | %.2f | %.2f | %.1f | %.1f |%n", run.round(),
          run.sequences(), name(run.layout()), steps.count(), steps.percentileMs(0), steps.percentileMs(50),
          steps.percentileMs(90), tokensPerSecond(run), flops(run) / 1e9));
    }
    md.append("""

        Each step recomputes every sequence's last position over the whole context and reads its logits into
        Java; no scheduler or sampler runs. Rounds pass over every case in turn, so compare cases within a
        round, and across rounds for the spread.
        """);
    return md.toString();
  }

  JsonObject json() {
    JsonArray rows = new JsonArray();
    for (Run run : runs) {
      Latencies steps = run.steps();
      rows.add(new JsonObject()
          .put("round", run.round())
          .put("sequences", run.sequences())
          .put("layout", name(run.layout()))
          .put("steps", steps.count())
          .put("step_ms", new JsonObject().put("min", steps.percentileMs(0)).put("p50", steps.percentileMs(50))
              .put("p90", steps.percentileMs(90)))
          .put("tokens_per_s", tokensPerSecond(run))
          .put("flops_per_s", flops(run)));
    }
    return new JsonObject()
        .put("model", model.toString())
        .put("device", device)
        .put("dtype", dtype)
        .put("threads", threads)
        .put("context", context)
        .put("kv_pool", new JsonObject().put("blocks", poolBlocks).put("block_size", blockSize))
        .put("thp_mem_alloc_enable", HugePages.setting())
        .put("runs", rows);
  }

  void print(PrintStream out) {
    out.print(markdown());
    out.flush();
  }

  void write(Path dir) {
    ReportFiles.write(dir, "step-bench", markdown(), json());
  }

  private static String name(BlockLayout layout) {
    return layout.name().toLowerCase(Locale.ROOT);
  }
}
