package dev.twinmesh.worker.checkpoint;

/** Element counts that refuse to overflow, so a hostile header cannot wrap a size check. */
final class Shapes {
  private Shapes() {}

  static long numel(long[] shape) {
    long n = 1;
    for (long d : shape) {
      if (d < 0) {
        throw new IllegalArgumentException("negative dimension " + d);
      }
      n = Math.multiplyExact(n, d);
    }
    return n;
  }
}
