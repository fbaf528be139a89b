package dev.twinmesh.app.bench;

import dev.twinmesh.worker.LoadedModel;
import dev.twinmesh.worker.model.HugePages;
import dev.twinmesh.worker.model.MallocArenas;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/** The engine benchmark's figures and the targets they are held to, as Markdown (printed) and JSON. */
final class EngineBenchReport {

  /** A figure next to its goal. */
  record Target(String name, double measured, double goal, String unit, boolean measuredAtAll) {
    boolean met() {
      return measuredAtAll && measured >= goal;
    }
  }

  private final LoadedModel loaded;
  private final ModelCost cost;
  private final int threads;
  private final int promptTokens;
  private final int maxTokens;
  private final MachinePeaks peaks;
  private final List<LevelResult> levels;
  private final String loadBefore;
  private final String loadAfter;
  private final long peakRssBytes;
  /** The process's MALLOC_ARENA_MAX, read once: glibc took it at start-up and it cannot change since. */
  private final String mallocArenaMax = System.getenv(MallocArenas.VARIABLE);

  EngineBenchReport(LoadedModel loaded, ModelCost cost, int threads, int promptTokens, int maxTokens, MachinePeaks peaks,
              List<LevelResult> levels, String loadBefore, String loadAfter, long peakRssBytes) {
    this.loaded = loaded;
    this.cost = cost;
    this.threads = threads;
    this.promptTokens = promptTokens;
    this.maxTokens = maxTokens;
    this.peaks = peaks;
    this.levels = levels;
    this.loadBefore = loadBefore;
    this.loadAfter = loadAfter;
    this.peakRssBytes = peakRssBytes;
  }

  /** Mean context of a decode token: the prompt plus half the answer. */
  private double decodeContext() {
    return promptTokens + maxTokens / 2.0;
  }

  private double decodeFlops(LevelResult level) {
    return level.decodeTokensPerSecond() * cost.decodeFlopsPerToken(decodeContext());
  }

  private double prefillFlops(LevelResult level) {
    return level.prefillSeconds() <= 0 ? 0 : level.concurrency() * cost.prefillFlops(promptTokens) / level.prefillSeconds();
  }

  private double bandwidthBound() {
    return peaks.bandwidthBytes() / cost.decodeBytesPerToken(decodeContext());
  }

  private LevelResult level(int concurrency) {
    return levels.stream().filter(l -> l.concurrency() == concurrency).findFirst().orElse(null);
  }

  List<Target> targets() {
    LevelResult one = level(1);
    LevelResult sixteen = level(16);
    LevelResult thirtyTwo = level(32);
    double single = one == null ? 0 : one.decodeTokensPerSecond();
    List<Target> targets = new ArrayList<>();
    targets.add(new Target("single-stream decode >= 75% of bandwidth bound (tok/s)", single,
        0.75 * bandwidthBound(), "tok/s", one != null));
    targets.add(new Target("aggregate decode @16 >= 6x single stream (tok/s)",
        sixteen == null ? 0 : sixteen.decodeTokensPerSecond(), 6 * single, "tok/s", sixteen != null && one != null));
    targets.add(new Target("model FLOP/s @16 >= 40% of GEMM peak (GFLOP/s)",
        sixteen == null ? 0 : decodeFlops(sixteen) / 1e9, 0.4 * peaks.gemmFlops() / 1e9, "GFLOP/s", sixteen != null));
    targets.add(new Target("prefill @1 >= 50% of GEMM peak (GFLOP/s)", one == null ? 0 : prefillFlops(one) / 1e9,
        0.5 * peaks.gemmFlops() / 1e9, "GFLOP/s", one != null));
    // Held as "share inside the forward pass >= 95%" so that every target reads measured >= goal.
    targets.add(new Target("scheduler+sampler+detokenizer @32 <= 5% of step (forward share, %)",
        thirtyTwo == null ? 0 : 100 * (1 - thirtyTwo.stats().overheadFraction()), 95, "%", thirtyTwo != null));
    return targets;
  }

  String markdown() {
    StringBuilder md = new StringBuilder();
    md.append("# twin-mesh engine benchmark\n\n");
    md.append(String.format(Locale.ROOT, "- model: %s (%s, %,d parameters), %s %s, %d intra-op threads%n",
        loaded.served().checkpoint(), loaded.config().architecture(), loaded.config().parameterCount(),
        loaded.runtime().device(), loaded.runtime().weightType(), threads));
    md.append(String.format(Locale.ROOT, "- prompt %d tokens, %d generated tokens per request (ignore_eos), "
        + "temperature %.2f top_p %.1f%n", promptTokens, maxTokens, 0.01, 0.6));
    md.append(String.format(Locale.ROOT, "- machine, measured in this run through DJL: fp32 GEMM %.1f GFLOP/s, "
        + "memory read bandwidth %.1f GB/s (best of a sum and several matrix products)%n", peaks.gemmFlops() / 1e9, peaks.bandwidthBytes() / 1e9));
    md.append(String.format(Locale.ROOT, "- bandwidth bound of single-stream decode: %.1f tok/s (%.1f MB read per "
        + "token at context %.0f)%n", bandwidthBound(), cost.decodeBytesPerToken(decodeContext()) / 1e6, decodeContext()));
    md.append(String.format(Locale.ROOT, "- KV pool: %d blocks x %d tokens = %d tokens, %d MiB%n",
        loaded.kvCacheBlocks(), loaded.blockSize(), (long) loaded.kvCacheBlocks() * loaded.blockSize(),
        loaded.kvCacheBytes() >> 20));
    md.append(String.format(Locale.ROOT, "- peak RSS (VmHWM): %d MiB%n", peakRssBytes >> 20));
    md.append(hugePagesLine());
    md.append(String.format(Locale.ROOT, "- load average before / after: %s / %s%n%n", loadBefore, loadAfter));

    md.append("| streams | decode tok/s | per stream | decode GFLOP/s | prefill tok/s | prefill GFLOP/s "
        + "| TTFT p50 / p95 ms | ITL p50 / p95 ms | steps | outside forward | CPU share | page faults / step |\n");
    md.append("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n");
    for (LevelResult l : levels) {
      md.append(String.format(Locale.ROOT, "| %d | %.1f | %.1f | %.1f | %.0f | %.1f | %.0f / %.0f | %.1f / %.1f "
              + "| %d | %.1f%% | %.0f%% | %s |%n", l.concurrency(), l.decodeTokensPerSecond(),
          l.decodeTokensPerSecond() / l.concurrency(), decodeFlops(l) / 1e9, l.prefillTokensPerSecond(promptTokens),
          prefillFlops(l) / 1e9, l.ttftP50Ms(), l.ttftP95Ms(), l.itlP50Ms(), l.itlP95Ms(), l.stats().steps(),
          100 * l.stats().overheadFraction(), 100 * l.cpuShare(),
          l.faultsPerStep() < 0 ? "-" : String.format(Locale.ROOT, "%.0f", l.faultsPerStep())));
    }
    md.append("\nDecode tok/s: tokens while every stream is generating, from the last first token to the first last\n"
        + "token; the JSON's decode_tokens_per_s_with_drain runs on to the last token, as streams finish one by one.\n");
    md.append("\nCPU share: the process's CPU time over wall time x threads. Below 100% means other processes held\n"
        + "the cores for part of the run; the GEMM and bandwidth peaks were measured in a few seconds after the levels.\n"
        + "Page faults / step: the process's minor faults over the level's steps. Prompt chunks fault in their large\n"
        + "tensors (mapped and unmapped by malloc each time); thousands per step in decode alone mean the allocator\n"
        + "hands the step's tensors back to the kernel between steps (" + MallocArenas.VARIABLE + " here: "
        + (mallocArenaMax == null ? "not set" : mallocArenaMax) + ").\n");
    md.append("\n| target | measured | goal | |\n|---|---:|---:|---|\n");
    for (Target t : targets()) {
      md.append(String.format(Locale.ROOT, "| %s | %s | %.1f | %s |%n", t.name(),
          t.measuredAtAll() ? String.format(Locale.ROOT, "%.1f", t.measured()) : "-", t.goal(),
          !t.measuredAtAll() ? "not run" : t.met() ? "met" : "MISSED"));
    }
    return md.toString();
  }

  JsonObject json() {
    JsonArray rows = new JsonArray();
    for (LevelResult l : levels) {
      rows.add(new JsonObject()
          .put("concurrency", l.concurrency())
          .put("decode_tokens_per_s", l.decodeTokensPerSecond())
          .put("decode_tokens_per_s_per_stream", l.decodeTokensPerSecond() / l.concurrency())
          .put("decode_tokens_per_s_with_drain", l.drainTokensPerSecond())
          .put("decode_flops", decodeFlops(l))
          .put("prefill_tokens_per_s", l.prefillTokensPerSecond(promptTokens))
          .put("prefill_flops", prefillFlops(l))
          .put("ttft_ms", new JsonObject().put("p50", l.ttftP50Ms()).put("p95", l.ttftP95Ms()))
          .put("inter_token_ms", new JsonObject().put("p50", l.itlP50Ms()).put("p95", l.itlP95Ms()))
          .put("seconds", l.seconds())
          .put("cpu_share", l.cpuShare())
          .put("minor_faults_per_step", l.faultsPerStep())
          .put("engine", new JsonObject()
              .put("steps", l.stats().steps())
              .put("tokens", l.stats().tokens())
              .put("schedule_ms", l.stats().scheduleNanos() / 1e6)
              .put("execute_ms", l.stats().executeNanos() / 1e6)
              .put("sample_ms", l.stats().sampleNanos() / 1e6)
              .put("postprocess_ms", l.stats().postprocessNanos() / 1e6)
              .put("outside_forward_fraction", l.stats().overheadFraction())));
    }
    JsonArray targets = new JsonArray();
    for (Target t : targets()) {
      targets.add(new JsonObject().put("name", t.name()).put("measured", t.measuredAtAll() ? t.measured() : null)
          .put("goal", t.goal()).put("unit", t.unit()).put("met", t.met()));
    }
    return new JsonObject()
        .put("model", loaded.served().checkpoint())
        .put("parameters", loaded.config().parameterCount())
        .put("device", loaded.runtime().device().toString())
        .put("dtype", loaded.runtime().weightType().toString())
        .put("threads", threads)
        .put("prompt_tokens", promptTokens)
        .put("max_tokens", maxTokens)
        .put("gemm_flops", peaks.gemmFlops())
        .put("bandwidth_bytes_per_s", peaks.bandwidthBytes())
        .put("bandwidth_bound_tokens_per_s", bandwidthBound())
        .put("kv_pool", new JsonObject().put("blocks", loaded.kvCacheBlocks()).put("block_size", loaded.blockSize())
            .put("bytes", loaded.kvCacheBytes()))
        .put("peak_rss_bytes", peakRssBytes)
        .put("malloc_arena_max", mallocArenaMax)
        .put("thp_mem_alloc_enable", HugePages.setting())
        .put("load_average", new JsonObject().put("before", loadBefore).put("after", loadAfter))
        .put("levels", rows)
        .put("targets", targets);
  }

  void print(PrintStream out) {
    out.print(markdown());
    out.flush();
  }

  void write(Path dir) {
    ReportFiles.write(dir, "engine-bench", markdown(), json());
  }

  /** CPU time of every thread of this process, or 0 where the JVM does not tell. */
  static long processCpuNanos() {
    if (java.lang.management.ManagementFactory.getOperatingSystemMXBean()
        instanceof com.sun.management.OperatingSystemMXBean os) {
      return Math.max(0, os.getProcessCpuTime());
    }
    return 0;
  }

  /** The process's minor page faults so far (field 10 of /proc/self/stat), or -1 where there is no procfs. */
  static long minorFaults() {
    try {
      String stat = Files.readString(Path.of("/proc/self/stat"));
      // the command name (field 2) is in parentheses and may hold spaces: count fields after it
      String[] fields = stat.substring(stat.lastIndexOf(')') + 2).trim().split("\\s+");
      return Long.parseLong(fields[7]);
    } catch (IOException | RuntimeException e) {
      return -1;
    }
  }

  /** VmHWM from /proc/self/status, or -1 where there is no procfs. */
  static long peakRssBytes() {
    try {
      for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
        if (line.startsWith("VmHWM:")) {
          return Long.parseLong(line.replaceAll("[^0-9]", "")) * 1024;
        }
      }
    } catch (IOException | RuntimeException e) {
      // not Linux: reported as unknown
    }
    return -1;
  }

  /** The report line that says whether PyTorch maps its large tensors in huge pages (see HugePages). */
  static String hugePagesLine() {
    return "- huge pages for PyTorch's large tensors (" + HugePages.VARIABLE + "): " + HugePages.setting() + "\n";
  }

  static String loadAverage() {
    try {
      String[] parts = Files.readString(Path.of("/proc/loadavg")).trim().split("\\s+");
      return parts[0] + " " + parts[1] + " " + parts[2];
    } catch (IOException | RuntimeException e) {
      return "unknown";
    }
  }
}
