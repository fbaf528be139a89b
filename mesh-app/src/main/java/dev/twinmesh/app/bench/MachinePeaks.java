package dev.twinmesh.app.bench;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import dev.twinmesh.worker.model.PackedProduct;

/**
 * What this machine does through DJL on the model's device and threads, measured in the same run as
 * the engine: dense fp32 GEMM throughput and memory read bandwidth. Best of several repetitions, since
 * other processes share the cores.
 *
 * <p>Each peak is the best of every kernel tried, including the ones the engine runs, so that no
 * figure of the engine can beat the machine it is measured against. GEMM: PyTorch's plain product
 * (MKL on CPU) and, where the decoder uses it (fp32 on CPU), oneDNN's product over a packed weight;
 * on the development machine, an AMD EPYC, the first reached 110 to 190 GFLOP/s and the second about
 * twice that.
 *
 * <p>Bandwidth is the fastest of several reads of one matrix far larger than the caches: a sum, a
 * matrix-vector product, the two-column product the plain decoder uses for one token and, where the
 * decoder packs its weights, a one-row packed product. A single kernel understates it: on the
 * development machine MKL's matrix-vector product read about 25 GB/s with one thread or two, a sum 35
 * and the two-column product 43 to 49, and a bound taken from the slowest would flatter every decode
 * figure.
 *
 * @param gemmFlops     fp32 FLOP/s of a square matmul, the faster of the two kernels
 * @param bandwidthBytes bytes/s read by the fastest of the reads
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
      best = Math.min(best, timedProduct(() -> a.matMul(b)));
    }
    if (packs(manager)) {
      try (PackedProduct packed = PackedProduct.of(b)) { // a times b transposed: the same FLOPs
        for (int i = 0; i < REPEATS; i++) {
          best = Math.min(best, timedProduct(() -> packed.apply(a)));
        }
      }
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
    if (packs(manager)) {
      NDArray oneRow = twoRows.get(0).reshape(1, MATVEC_COLS);
      try (PackedProduct packed = PackedProduct.of(matrix)) {
        for (int i = 0; i < REPEATS; i++) {
          best = Math.min(best, timed(() -> packed.apply(oneRow)));
        }
      }
    }
    return 4.0 * MATVEC_ROWS * MATVEC_COLS / (best / 1e9);
  }

  private static boolean packs(NDManager manager) {
    return PackedProduct.packs(manager.getDevice(), DataType.FLOAT32);
  }

  /** Nanoseconds until a product is ready, forced by reading one element (the whole would add a copy). */
  private static long timedProduct(java.util.function.Supplier<NDArray> product) {
    long started = System.nanoTime();
    try (NDArray c = product.get()) {
      c.getFloat(0, 0);
    }
    return System.nanoTime() - started;
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
