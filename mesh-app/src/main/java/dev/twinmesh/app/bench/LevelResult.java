package dev.twinmesh.app.bench;

import dev.twinmesh.worker.engine.EngineStats;
import java.util.Arrays;
import java.util.List;

/**
 * One concurrency level. Prefill runs from submission until the last request's first token; decode is
 * measured from then until the first request's last token, while every stream is generating. After
 * that the batch drains, one finished stream after another: a level's aggregate figure counted over the
 * drain would be that of fewer streams. Where no moment has every stream generating (a stream done
 * before the last one started), decode runs until the last token.
 *
 * @param prefillSeconds submission to the last first token
 * @param decodeTokens   tokens that arrived in the decode window
 * @param decodeSeconds  the decode window: last first token to first last token
 * @param drainTokensPerSecond tokens per second from the last first token to the last token, drain included
 * @param cpuShare       the process's CPU time over wall time times the threads asked for: below 1 when
 *                       other processes took the cores (or the work did not fill them)
 * @param minorFaults    the process's minor page faults during the level: memory the allocator handed
 *                       back to the kernel and touched again (see MallocArenas), or -1 without procfs
 */
record LevelResult(int concurrency, double seconds, double prefillSeconds, long decodeTokens, double decodeSeconds,
                   double drainTokensPerSecond, double ttftP50Ms, double ttftP95Ms, double itlP50Ms, double itlP95Ms,
                   EngineStats stats, double cpuShare, long minorFaults) {

  static LevelResult of(int concurrency, long started, List<EngineBench.Stream> streams, EngineStats stats,
                        double cpuShare, long minorFaults) {
    double[] ttft = new double[streams.size()];
    int gaps = streams.stream().mapToInt(s -> Math.max(0, s.count - 1)).sum();
    double[] itl = new double[gaps];
    long lastFirst = 0;
    long end = 0;
    long firstEnd = Long.MAX_VALUE;
    int g = 0;
    for (int i = 0; i < streams.size(); i++) {
      EngineBench.Stream s = streams.get(i);
      ttft[i] = (s.tokenNanos[0] - started) / 1e6;
      lastFirst = Math.max(lastFirst, s.tokenNanos[0]);
      end = Math.max(end, s.tokenNanos[s.count - 1]);
      firstEnd = Math.min(firstEnd, s.tokenNanos[s.count - 1]);
      for (int j = 1; j < s.count; j++) {
        itl[g++] = (s.tokenNanos[j] - s.tokenNanos[j - 1]) / 1e6;
      }
    }
    long drainTokens = tokensBetween(streams, lastFirst, end);
    double drainSeconds = (end - lastFirst) / 1e9;
    double drainRate = drainSeconds <= 0 ? 0 : drainTokens / drainSeconds;
    long windowEnd = firstEnd > lastFirst ? firstEnd : end;
    return new LevelResult(concurrency, (end - started) / 1e9, (lastFirst - started) / 1e9,
        tokensBetween(streams, lastFirst, windowEnd), (windowEnd - lastFirst) / 1e9, drainRate,
        percentile(ttft, 50), percentile(ttft, 95), percentile(itl, 50),
        percentile(itl, 95), stats, cpuShare, minorFaults);
  }

  /** Tokens after each stream's first that arrived in (from, to]. */
  private static long tokensBetween(List<EngineBench.Stream> streams, long from, long to) {
    long tokens = 0;
    for (EngineBench.Stream s : streams) {
      for (int j = 1; j < s.count; j++) {
        if (s.tokenNanos[j] > from && s.tokenNanos[j] <= to) {
          tokens++;
        }
      }
    }
    return tokens;
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
