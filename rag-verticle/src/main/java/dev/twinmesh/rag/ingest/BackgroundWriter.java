package dev.twinmesh.rag.ingest;

import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * Runs store writes on a thread of their own, one at a time and at most one ahead of the caller, so that a batch is
 * upserted and committed (HNSW insertion, fsync) while the next one is embedded. The caller sees every write's
 * failure, at its next {@link #submit} or at {@link #await}, on its own thread.
 */
final class BackgroundWriter implements AutoCloseable {
  private final ExecutorService thread = Executors.newSingleThreadExecutor(r -> {
    Thread t = new Thread(r, "twin-ingest-writer");
    t.setDaemon(true);
    return t;
  });
  private Future<?> inFlight;
  private Runnable afterInFlight;

  /** Waits for the write in flight, then starts {@code write}; {@code after} runs on the caller once it is done. */
  void submit(Runnable write, Runnable after) {
    await();
    inFlight = thread.submit(write);
    afterInFlight = after;
  }

  /** Waits for the write in flight, rethrowing its failure, and runs what was to follow it. */
  void await() {
    if (inFlight == null) {
      return;
    }
    Future<?> write = inFlight;
    Runnable after = afterInFlight;
    inFlight = null;
    afterInFlight = null;
    try {
      write.get();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while writing to the vector store", e);
    } catch (ExecutionException e) {
      if (e.getCause() instanceof RuntimeException failure) {
        throw failure;
      }
      throw new IllegalStateException(e.getCause());
    }
    after.run();
  }

  /**
   * Lets a write still in flight (the caller failed before awaiting it) finish rather than interrupting it: an
   * interrupt inside Lucene's file I/O closes the index writer for good.
   */
  @Override
  public void close() {
    thread.shutdown();
    if (inFlight != null) {
      try {
        inFlight.get();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      } catch (ExecutionException e) {
        // the caller is already failing with the error that stopped it; this one is secondary
      }
    }
  }
}
