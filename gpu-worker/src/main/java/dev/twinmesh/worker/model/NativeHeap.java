package dev.twinmesh.worker.model;

import com.sun.jna.Function;
import com.sun.jna.NativeLibrary;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Hands the freed pages of the native heap back to the kernel, through glibc's {@code malloc_trim}.
 * PyTorch's CPU tensors live on malloc's heap, and memory freed below live tensors stays resident
 * until something is allocated there: after the plain projection weights are freed for their packed
 * copies, which were allocated above them, that is most of their size. JNA comes with DJL.
 */
final class NativeHeap {

  private static final Logger LOG = LoggerFactory.getLogger(NativeHeap.class);

  private NativeHeap() {
  }

  /** Trims the heap; where the C library has no {@code malloc_trim} (musl, macOS) it does nothing. */
  static void trim() {
    Function trim;
    try {
      trim = NativeLibrary.getInstance("c").getFunction("malloc_trim");
    } catch (UnsatisfiedLinkError e) {
      LOG.debug("no malloc_trim in this C library: freed native memory stays with the process", e);
      return;
    }
    trim.invokeInt(new Object[] {0});
  }
}
