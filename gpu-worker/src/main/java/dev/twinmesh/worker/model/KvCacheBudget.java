package dev.twinmesh.worker.model;

import ai.djl.Device;
import ai.djl.util.cuda.CudaUtils;
import java.lang.management.MemoryUsage;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** How much memory the paged KV cache gets when the user did not say. */
public final class KvCacheBudget {
  private static final Logger LOG = LoggerFactory.getLogger(KvCacheBudget.class);
  static final long CPU_DEFAULT_BYTES = 1L << 30;
  /** Leaves room on the GPU for activations and the allocator's own slack. */
  static final double GPU_FREE_FRACTION = 0.9;

  private KvCacheBudget() {}

  /** {@code requested} when positive; else 1 GiB on CPU, or 90% of the GPU memory still free after loading. */
  public static long bytes(long requested, Device device) {
    if (requested > 0) {
      return requested;
    }
    if (!device.isGpu()) {
      return CPU_DEFAULT_BYTES;
    }
    MemoryUsage usage = CudaUtils.getGpuMemory(device);
    long free = usage.getMax() - usage.getCommitted();
    long budget = (long) (free * GPU_FREE_FRACTION);
    LOG.info("KV cache gets {} MiB of {} MiB free on {}", budget >> 20, free >> 20, device);
    return budget;
  }
}
