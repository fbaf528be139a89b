package dev.twinmesh.worker;

import java.nio.file.Path;

/**
 * What a worker serves and how: read once from flags and environment, validated here.
 *
 * @param modelDir        a Hugging Face checkpoint directory
 * @param servedModelName the name clients put in {@code model}
 */
public record WorkerSettings(Path modelDir, String servedModelName, String host, int port, String workerId,
                             Runtime runtime) {

  /**
   * @param device      auto, cpu or cuda
   * @param threads     intra-op threads on CPU; 0 = all cores
   * @param maxModelLen prompt plus answer tokens per request (MAX_TOTAL_TOKENS)
   * @param maxRunning  sequences generated at the same time
   * @param maxWaiting  requests allowed to wait; past it, 503
   * @param maxBatchedTokens tokens computed per engine step (MAX_BATCH_TOTAL_TOKENS)
   * @param kvCacheBytes memory for the paged KV cache; 0 picks it (1 GiB on CPU, 90% of free GPU memory)
   * @param blockSize    tokens per KV-cache block
   */
  public record Runtime(String device, int threads, int maxModelLen, int maxRunning, int maxWaiting,
                        int maxBatchedTokens, long kvCacheBytes, int blockSize) {

    public static final int DEFAULT_MAX_BATCHED_TOKENS = 2048;
    public static final int DEFAULT_BLOCK_SIZE = 16;

    /** Engine defaults for batching, cache size and block size. */
    public Runtime(String device, int threads, int maxModelLen, int maxRunning, int maxWaiting) {
      this(device, threads, maxModelLen, maxRunning, maxWaiting, DEFAULT_MAX_BATCHED_TOKENS, 0, DEFAULT_BLOCK_SIZE);
    }

    public Runtime {
      if (!device.equals("auto") && !device.equals("cpu") && !device.equals("cuda")) {
        throw new IllegalArgumentException("--device must be auto, cpu or cuda, got " + device);
      }
      if (threads < 0) {
        throw new IllegalArgumentException("--threads must be 0 (all cores) or more");
      }
      if (maxModelLen < 16) {
        throw new IllegalArgumentException("--max-model-len must be at least 16");
      }
      if (maxRunning < 1 || maxWaiting < 1) {
        throw new IllegalArgumentException("--max-num-seqs and --max-waiting must be at least 1");
      }
      if (maxBatchedTokens < maxRunning) {
        throw new IllegalArgumentException("--max-num-batched-tokens must be at least --max-num-seqs");
      }
      if (kvCacheBytes < 0 || blockSize < 1) {
        throw new IllegalArgumentException("--kv-cache-memory must be 0 (automatic) or more, --block-size at least 1");
      }
    }

    public static Runtime defaults() {
      return new Runtime("auto", 0, 2048, 32, 256);
    }
  }

  public WorkerSettings {
    if (modelDir == null) {
      throw new IllegalArgumentException("a worker needs --model DIR (a Hugging Face checkpoint directory)");
    }
    if (port < 0 || port > 65535) {
      throw new IllegalArgumentException("worker port must be in [0, 65535], got " + port);
    }
    if (servedModelName == null || servedModelName.isBlank()) {
      throw new IllegalArgumentException("the served model name must not be empty");
    }
  }
}
