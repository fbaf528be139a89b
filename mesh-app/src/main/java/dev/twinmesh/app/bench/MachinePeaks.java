package dev.twinmesh.app.bench;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;

/**
 * What this machine does through DJL on the model's device and threads, measured in the same run as
 * the engine: dense fp32 GEMM throughput and memory read bandwidth. Best of several repetitions, since
 * other processes share the cores.
 *
 * <p>Bandwidth is the fastest of three reads of one matrix far larger than the caches: a sum, a
 * matrix-vector product and the two-column product the decoder uses for one token. A single kernel
 * understates it: on the development machine MKL's matrix-vector product read about 25 GB/s with one
 * thread or two, a sum 35 and the two-column product 43 to 49, and a bound taken from the slowest would
 * flatter every decode figure.
 *
 * @param gemmFlops     fp32 FLOP/s of a square matmul
 * @param bandwidthBytes bytes/s read by the fastest of the three
 */
record MachinePeaks(double gemmFlops, double bandwidthBytes) {

  private static final int GEMM_SIZE = 1024;
  private static final long MATVEC_ROWS = 8192;
  private static final long MATVEC_COLS = 8192; // 256 MiB of fp32
  private static final int REPEATS = 6;

  static MachinePeaks measure(NDManager parent) {
    try (NDManager manager = parent.newSubManager()) {
      return new MachinePeaks(gemm(manager), bandwidth(manager));
    }
  }

  private static double gemm(NDManager manager) {
    NDArray a = manager.randomUniform(-1, 1, new Shape(GEMM_SIZE, GEMM_SIZE), DataType.FLOAT32);
    NDArray b = manager.randomUniform(-1, 1, new Shape(GEMM_SIZE, GEMM_SIZE), DataType.FLOAT32);
    double flops = 2.0 * GEMM_SIZE * GEMM_SIZE * GEMM_SIZE;
    long best = Long.MAX_VALUE;
    for (int i = 0; i < REPEATS; i++) {
      long started = System.nanoTime();
      try (NDArray c = a.matMul(b)) {
        c.getFloat(0, 0); // forces the result
      }
      best = Math.min(best, System.nanoTime() - started);
    }
    return flops / (best / 1e9);
  }

  private static double bandwidth(NDManager manager) {
    NDArray matrix = manager.randomUniform(-1, 1, new Shape(MATVEC_ROWS, MATVEC_COLS), DataType.FLOAT32);
    NDArray vector = manager.randomUniform(-1, 1, new Shape(MATVEC_COLS, 1), DataType.FLOAT32);
    NDArray twoRows = manager.randomUniform(-1, 1, new Shape(2, MATVEC_COLS), DataType.FLOAT32);
    long best = Long.MAX_VALUE;
    for (int i = 0; i < REPEATS; i++) {
      best = Math.min(best, timed(matrix::sum));
      best = Math.min(best, timed(() -> matrix.matMul(vector)));
      best = Math.min(best, timed(() -> {
        try (NDArray columns = twoRows.transpose()) {
          return matrix.matMul(columns);
        }
      }));
    }
    return 4.0 * MATVEC_ROWS * MATVEC_COLS / (best / 1e9);
  }

  /** Nanoseconds until the result is ready; the result is freed. */
  private static long timed(java.util.function.Supplier<NDArray> read) {
    long started = System.nanoTime();
    try (NDArray result = read.get()) {
      result.toFloatArray(); // forces the result
    }
    return System.nanoTime() - started;
  }
}
