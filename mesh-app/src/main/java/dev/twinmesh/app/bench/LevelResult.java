package dev.twinmesh.app.bench;

import dev.twinmesh.worker.engine.EngineStats;
import java.util.Arrays;
import java.util.List;

/**
 * One concurrency level. Prefill runs from submission until the last request's first token; decode
 * runs from then until the last token, when every stream is generating.
 *
 * @param prefillSeconds submission to the last first token
 * @param decodeTokens   tokens that arrived after the last first token
 * @param decodeSeconds  last first token to last token
 * @param cpuShare       the process's CPU time over wall time times the threads asked for: below 1 when
 *                       other processes took the cores (or the work did not fill them)
 * @param minorFaults    the process's minor page faults during the level: memory the allocator handed
 *                       back to the kernel and touched again (see MallocArenas), or -1 without procfs
 */
record LevelResult(int concurrency, double seconds, double prefillSeconds, long decodeTokens, double decodeSeconds,
                   double ttftP50Ms, double ttftP95Ms, double itlP50Ms, double itlP95Ms, EngineStats stats,
                   double cpuShare, long minorFaults) {

  static LevelResult of(int concurrency, long started, List<EngineBench.Stream> streams, EngineStats stats,
                        double cpuShare, long minorFaults) {
    double[] ttft = new double[streams.size()];
    int gaps = streams.stream().mapToInt(s -> Math.max(0, s.count - 1)).sum();
    double[] itl = new double[gaps];
    long lastFirst = 0;
    long end = 0;
    int g = 0;
    for (int i = 0; i < streams.size(); i++) {
      EngineBench.Stream s = streams.get(i);
      ttft[i] = (s.tokenNanos[0] - started) / 1e6;
      lastFirst = Math.max(lastFirst, s.tokenNanos[0]);
      end = Math.max(end, s.tokenNanos[s.count - 1]);
      for (int j = 1; j < s.count; j++) {
        itl[g++] = (s.tokenNanos[j] - s.tokenNanos[j - 1]) / 1e6;
      }
    }
    long decodeTokens = 0;
    for (EngineBench.Stream s : streams) {
      for (int j = 1; j < s.count; j++) {
        if (s.tokenNanos[j] > lastFirst) {
          decodeTokens++;
        }
      }
    }
    return new LevelResult(concurrency, (end - started) / 1e9, (lastFirst - started) / 1e9, decodeTokens,
        (end - lastFirst) / 1e9, percentile(ttft, 50), percentile(ttft, 95), percentile(itl, 50),
        percentile(itl, 95), stats, cpuShare, minorFaults);
  }

  /** Minor page faults per engine step, or -1 when unknown. */
  double faultsPerStep() {
    return minorFaults < 0 || stats.steps() == 0 ? -1 : (double) minorFaults / stats.steps();
  }

  double decodeTokensPerSecond() {
    return decodeSeconds <= 0 ? 0 : decodeTokens / decodeSeconds;
  }

  double prefillTokensPerSecond(int promptTokens) {
    return prefillSeconds <= 0 ? 0 : (double) concurrency * promptTokens / prefillSeconds;
  }

  /** Nearest rank. */
  static double percentile(double[] values, double p) {
    if (values.length == 0) {
      return Double.NaN;
    }
    double[] sorted = values.clone();
    Arrays.sort(sorted);
    int rank = (int) Math.ceil(p / 100 * sorted.length);
    return sorted[Math.max(0, Math.min(sorted.length - 1, rank - 1))];
  }
}
