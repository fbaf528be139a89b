package dev.twinmesh.worker.model;

import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.pytorch.jni.JniUtils;
import java.util.Locale;

/**
 * The PyTorch engine as the worker uses it: one device, one weight dtype, one root manager that
 * owns the weights, rope tables and KV caches.
 *
 * <p>Weights are fp16 on CUDA (bf16 checkpoints are converted while loading) and fp32 on CPU,
 * where PyTorch's bf16 kernels abort the JVM and fp16 matmuls are slow.
 */
public final class DjlRuntime implements AutoCloseable {

  public static final String ENGINE = "PyTorch";

  /**
   * @param device          "auto" (CUDA when PyTorch sees a GPU, else CPU), "cpu", "cuda" or "cuda:N"
   * @param intraOpThreads  threads one op may use; 0 keeps PyTorch's default (all cores)
   */
  public record Options(String device, int intraOpThreads) {
    public Options {
      device = device == null || device.isBlank() ? "auto" : device.trim().toLowerCase(Locale.ROOT);
      if (intraOpThreads < 0) {
        throw new IllegalArgumentException("intraOpThreads must be >= 0, got " + intraOpThreads);
      }
    }

    public static Options defaults() {
      return new Options("auto", 0);
    }
  }

  private final Device device;
  private final DataType weightType;
  private final NDManager manager;
  private final int requestedThreads;

  private DjlRuntime(Device device, DataType weightType, NDManager manager, int requestedThreads) {
    this.requestedThreads = requestedThreads;
    this.device = device;
    this.weightType = weightType;
    this.manager = manager;
  }

  /** Loads the engine from the bundled natives (never the network) and picks the device. */
  public static DjlRuntime start(Options options) {
    // The native jar is on the classpath; offline stops DJL from ever reaching for a download.
    if (System.getProperty("ai.djl.offline") == null) {
      System.setProperty("ai.djl.offline", "true");
    }
    Engine engine = Engine.getEngine(ENGINE);
    // The thread that starts the runtime loads the model on one thread; the engine thread applies the
    // requested count to itself (LlamaModelRunner). Each thread that runs a parallel op keeps an OpenMP
    // team of its own, and with a loading thread's team alive beside the engine's, single-stream steps
    // took 72 ms instead of 37 on the development machine's two cores (a one-off timing harness; the engine
    // benchmark's single-stream figure went from 16.2 to 28.3 tok/s with the rest of that change).
    useIntraOpThreads(1);
    Device device = chooseDevice(options.device(), engine.getGpuCount());
    DataType weightType = device.isGpu() ? DataType.FLOAT16 : DataType.FLOAT32;
    MallocArenas.warnIfUnbounded(!device.isGpu());
    return new DjlRuntime(device, weightType, NDManager.newBaseManager(device, ENGINE), options.intraOpThreads());
  }

  static Device chooseDevice(String requested, int gpuCount) {
    if (requested.equals("cpu")) {
      return Device.cpu();
    }
    if (requested.equals("auto")) {
      return gpuCount > 0 ? Device.gpu(0) : Device.cpu();
    }
    if (requested.equals("cuda") || requested.startsWith("cuda:")) {
      int id = requested.equals("cuda") ? 0 : parseGpuId(requested);
      if (id >= gpuCount) {
        throw new IllegalStateException("device " + requested + " requested but PyTorch sees "
            + gpuCount + " GPU(s); is the pytorch-native-cu124 jar (Maven profile 'cuda') on the classpath?");
      }
      return Device.gpu(id);
    }
    throw new IllegalArgumentException("unknown device '" + requested + "': use auto, cpu, cuda or cuda:N");
  }

  private static int parseGpuId(String requested) {
    try {
      return Integer.parseInt(requested.substring("cuda:".length()));
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("bad device '" + requested + "': expected cuda:N", e);
    }
  }

  public Device device() {
    return device;
  }

  /** fp16 on CUDA, fp32 on CPU; activations and the KV cache use the same type. */
  public DataType weightType() {
    return weightType;
  }

  /** Root manager on the device; model parts take sub-managers from it. */
  public NDManager manager() {
    return manager;
  }

  /** Threads the calling thread's ops may use, as set by {@link #useIntraOpThreads} or PyTorch's default. */
  public int intraOpThreads() {
    return JniUtils.getNumThreads();
  }

  /** The intra-op threads the engine thread runs with: the requested count, or every core for 0. */
  public int engineThreads() {
    return requestedThreads > 0 ? requestedThreads : Runtime.getRuntime().availableProcessors();
  }

  /**
   * Sets how many threads ops called from the current thread may use; 0 leaves PyTorch's default (all
   * cores). Per calling thread, not per process: PyTorch keeps the count in OpenMP's per-thread state,
   * so the thread that runs the model must call this itself, or it runs on every core whatever the
   * thread that loaded the model asked for.
   */
  public static void useIntraOpThreads(int threads) {
    if (threads > 0) {
      JniUtils.setNumThreads(threads);
    }
  }

  @Override
  public void close() {
    manager.close();
  }
}
