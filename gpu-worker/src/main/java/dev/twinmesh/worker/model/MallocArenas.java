package dev.twinmesh.worker.model;

import java.util.Map;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Whether glibc's malloc will serve the engine's tensors from one arena, and the advice when it will not.
 *
 * <p>PyTorch allocates every intermediate tensor of a CPU step with malloc and frees it within the step.
 * glibc gives each thread an arena of its own, built from 64 MB heaps, and hands a heap that empties back
 * to the kernel whole, whatever {@code M_TRIM_THRESHOLD} says. Where a step's tensors straddle a heap
 * boundary, every step faults that memory in again page by page. On the development machine a one-off
 * harness that times the model's forward pass alone found this in 7 of 19 runs: 16-stream decode steps
 * took 19,000 to 56,000 minor faults and about twice the time (150 to 200 ms against 80 to 95). With
 * {@code MALLOC_ARENA_MAX=1} none of more than twenty runs did. The engine benchmark did not show the
 * slow state in the runs made to check it, with or without the variable, so this guards against a state
 * seen, not a figure gained. The variable must be set before the JVM starts, so the launcher script and
 * the worker image set it.
 */
public final class MallocArenas {

  /** The environment variable glibc reads at start-up. */
  public static final String VARIABLE = "MALLOC_ARENA_MAX";

  private static final Logger LOG = LoggerFactory.getLogger(MallocArenas.class);

  private MallocArenas() {}

  /**
   * The warning for a CPU engine under glibc without a bounded arena count, or empty when there is nothing
   * to say (a GPU holds the tensors, another C library, or the variable is set).
   */
  static Optional<String> advice(boolean cpu, String osName, Map<String, String> environment) {
    if (!cpu || !osName.toLowerCase().contains("linux") || environment.containsKey(VARIABLE)) {
      return Optional.empty();
    }
    return Optional.of(VARIABLE + " is not set: glibc's per-thread malloc arenas can make CPU engine steps up to "
        + "twice as slow (memory handed back to the kernel and faulted in again every step). Start the JVM with "
        + VARIABLE + "=1, as ./twin-mesh and the worker image do.");
  }

  /** Logs {@link #advice} for this process once, at start-up. */
  static void warnIfUnbounded(boolean cpu) {
    advice(cpu, System.getProperty("os.name", ""), System.getenv()).ifPresent(LOG::warn);
  }
}
