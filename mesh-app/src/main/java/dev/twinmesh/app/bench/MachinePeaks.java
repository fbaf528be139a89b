package dev.twinmesh.app.bench;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;

/**
 * What this machine does through DJL on the model's device and threads, measured in the same run as
 * the engine: dense fp32 GEMM throughput and the memory bandwidth a matrix-vector product reaches.
 * Best of several repetitions, since other processes share the cores.
 *
 * @param gemmFlops     fp32 FLOP/s of a square matmul
 * @param bandwidthBytes bytes/s of a matrix-vector product over a matrix far larger than the caches
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
    double bytes = 4.0 * MATVEC_ROWS * MATVEC_COLS;
    long best = Long.MAX_VALUE;
    for (int i = 0; i < REPEATS; i++) {
      long started = System.nanoTime();
      try (NDArray y = matrix.matMul(vector)) {
        y.getFloat(0, 0);
      }
      best = Math.min(best, System.nanoTime() - started);
    }
    return bytes / (best / 1e9);
  }
}
