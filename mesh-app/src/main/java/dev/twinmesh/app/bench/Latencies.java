package dev.twinmesh.app.bench;

import java.util.Arrays;
import java.util.Locale;

/** Durations in nanoseconds and their percentiles (nearest rank), printed in milliseconds. */
final class Latencies {
  private long[] nanos = new long[16];
  private int count;

  void add(long durationNanos) {
    if (count == nanos.length) {
      nanos = Arrays.copyOf(nanos, count * 2);
    }
    nanos[count++] = durationNanos;
  }

  int count() {
    return count;
  }

  double percentileMs(double p) {
    if (count == 0) {
      return Double.NaN;
    }
    long[] sorted = Arrays.copyOf(nanos, count);
    Arrays.sort(sorted);
    int rank = (int) Math.ceil(p / 100.0 * count);
    return sorted[Math.max(0, Math.min(count - 1, rank - 1))] / 1e6;
  }

  double meanMs() {
    return count == 0 ? Double.NaN : Arrays.stream(nanos, 0, count).average().orElse(0) / 1e6;
  }

  String summary() {
    return String.format(Locale.ROOT, "p50 %.1f ms, p95 %.1f ms, mean %.1f ms (n=%d)", percentileMs(50),
        percentileMs(95), meanMs(), count);
  }
}
