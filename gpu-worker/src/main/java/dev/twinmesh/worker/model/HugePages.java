package dev.twinmesh.worker.model;

/**
 * Transparent huge pages for PyTorch's large CPU tensors. With {@code THP_MEM_ALLOC_ENABLE=1}, PyTorch
 * aligns every CPU allocation of 2 MiB or more to 2 MiB and asks the kernel for huge pages for it
 * ({@code madvise}), so the weights, the KV pool and a step's large intermediates are mapped in 2 MiB
 * pages where the host allows them (the kernel's {@code transparent_hugepage} setting {@code madvise} or
 * {@code always}; with {@code never} the variable changes nothing).
 *
 * <p>A decode step reads every weight and, through the block tables, 4 KiB rows of keys and values
 * anywhere in the pool: with 4 KiB pages that is one page-table walk per row. On the development machine
 * ({@code twin-mesh bench step --sequences 16 --layout contiguous,scattered --rounds 2}, three alternating
 * pairs of runs) the median 16-stream step took 34 to 40 ms with huge pages (one run at 60) against 38 to
 * 50 without for packed blocks, and 38 to 45 against 43 to 50 for blocks drawn from the whole pool. Ten
 * alternating pairs of {@code bench engine} had medians of 362 against 315 tok/s at 16 streams and 55
 * against 53 at one; at 32 streams, 404 against 422 in six pairs, no gain. Peak RSS was about the same.
 *
 * <p>PyTorch reads the variable from the environment once, so it must be set before the JVM starts: the
 * launcher script and the CPU worker image set it.
 */
public final class HugePages {

  /** The environment variable PyTorch's CPU allocator reads. */
  public static final String VARIABLE = "THP_MEM_ALLOC_ENABLE";

  private HugePages() {}

  /** This process's setting as PyTorch sees it: the variable's value, or "not set". */
  public static String setting() {
    String value = System.getenv(VARIABLE);
    return value == null ? "not set" : value;
  }
}
