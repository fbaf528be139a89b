package dev.twinmesh.app;

import dev.twinmesh.worker.WorkerSettings;
import picocli.CommandLine.Option;

/** How a worker runs its model: shared by {@code up} and {@code worker}. */
final class RuntimeOptions {
  @Option(names = "--device", defaultValue = "${env:TWIN_MESH_DEVICE:-auto}",
      description = "auto (CUDA when DJL sees a GPU, else CPU), cpu or cuda. Default: ${DEFAULT-VALUE}.")
  String device;

  @Option(names = "--threads", defaultValue = "${env:TWIN_MESH_THREADS:-0}",
      description = "Intra-op threads for the model on CPU; 0 uses every core. Default: ${DEFAULT-VALUE}.")
  int threads;

  @Option(names = "--max-model-len", defaultValue = "${env:MAX_TOTAL_TOKENS:-2048}",
      description = "Prompt plus answer tokens one request may use (MAX_TOTAL_TOKENS). Default: ${DEFAULT-VALUE}.")
  int maxModelLen;

  @Option(names = "--max-num-seqs", defaultValue = "${env:TWIN_MESH_MAX_NUM_SEQS:-32}",
      description = "Sequences generated at the same time. Default: ${DEFAULT-VALUE}.")
  int maxRunning;

  @Option(names = "--max-waiting", defaultValue = "${env:TWIN_MESH_MAX_WAITING:-256}",
      description = "Requests that may wait for a slot; past it the worker answers 503. Default: ${DEFAULT-VALUE}.")
  int maxWaiting;

  @Option(names = "--max-num-batched-tokens", defaultValue = "${env:MAX_BATCH_TOTAL_TOKENS:-2048}",
      description = "Tokens computed per engine step, prompts chunked to fit (MAX_BATCH_TOTAL_TOKENS). Default: ${DEFAULT-VALUE}.")
  int maxBatchedTokens;

  @Option(names = "--kv-cache-memory", defaultValue = "${env:TWIN_MESH_KV_CACHE_MEMORY:-auto}",
      description = "Memory for the paged KV cache, e.g. 512MiB or 4GiB; auto is 1GiB on CPU and 90%% of free GPU memory. Default: ${DEFAULT-VALUE}.")
  String kvCacheMemory;

  @Option(names = "--block-size", defaultValue = "16", description = "Tokens per KV-cache block. Default: ${DEFAULT-VALUE}.")
  int blockSize;

  WorkerSettings.Runtime toRuntime() {
    return new WorkerSettings.Runtime(device, threads, maxModelLen, maxRunning, maxWaiting, maxBatchedTokens,
        ByteSizes.parse(kvCacheMemory), blockSize);
  }
}
