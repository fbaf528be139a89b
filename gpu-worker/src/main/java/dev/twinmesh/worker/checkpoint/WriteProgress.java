package dev.twinmesh.worker.checkpoint;

import java.io.PrintStream;

/** Hears how far a checkpoint write has come; writers call it from their own thread only. */
public interface WriteProgress {

  void started(long totalBytes);

  void advanced(long bytes);

  void finished();

  static WriteProgress quiet() {
    return new WriteProgress() {
      @Override public void started(long totalBytes) {}
      @Override public void advanced(long bytes) {}
      @Override public void finished() {}
    };
  }

  static WriteProgress bar(PrintStream out) {
    return new ProgressBar(out, System::nanoTime);
  }
}
