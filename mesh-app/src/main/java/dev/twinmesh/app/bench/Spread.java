package dev.twinmesh.app.bench;

import java.util.Arrays;

/**
 * Median, min and max of a few per-round values. The median, not the mean, summarises paired rounds
 * because one round disturbed by the other engineer's load or a GC pause would drag a mean as far as it
 * likes; min and max stay so a reader sees how far the rounds disagree. Unknown (all NaN) when any value
 * is NaN: a round without a measurement (every request failed) is not a round that agrees.
 */
record Spread(double median, double min, double max, int count) {

  static Spread of(double... values) {
    if (values.length == 0 || Arrays.stream(values).anyMatch(Double::isNaN)) {
      return new Spread(Double.NaN, Double.NaN, Double.NaN, values.length);
    }
    double[] sorted = values.clone();
    Arrays.sort(sorted);
    int n = sorted.length;
    double median = n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
    return new Spread(median, sorted[0], sorted[n - 1], n);
  }

  boolean known() {
    return !Double.isNaN(median);
  }
}
