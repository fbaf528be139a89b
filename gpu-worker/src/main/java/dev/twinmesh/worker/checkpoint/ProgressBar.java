package dev.twinmesh.worker.checkpoint;

import java.io.PrintStream;
import java.util.Locale;
import java.util.function.LongSupplier;

/** A one-line text bar redrawn in place with a carriage return: bytes done of total and throughput. */
final class ProgressBar implements WriteProgress {
  private static final int WIDTH = 30;
  /** Redrawing on every chunk would flood a terminal (and a log file) for nothing. */
  private static final long REDRAW_NANOS = 200_000_000L;

  private final PrintStream out;
  private final LongSupplier clock;
  private long total;
  private long done;
  private long startNanos;
  private long lastDrawNanos;

  ProgressBar(PrintStream out, LongSupplier clock) {
    this.out = out;
    this.clock = clock;
  }

  @Override
  public void started(long totalBytes) {
    total = totalBytes;
    done = 0;
    startNanos = clock.getAsLong();
    lastDrawNanos = startNanos;
    draw();
  }

  @Override
  public void advanced(long bytes) {
    done += bytes;
    long now = clock.getAsLong();
    if (now - lastDrawNanos >= REDRAW_NANOS) {
      lastDrawNanos = now;
      draw();
    }
  }

  @Override
  public void finished() {
    draw();
    out.println();
    out.flush();
  }

  String line() {
    double fraction = total == 0 ? 1 : Math.min(1, (double) done / total);
    int filled = (int) Math.round(fraction * WIDTH);
    double seconds = Math.max(1e-9, (clock.getAsLong() - startNanos) / 1e9);
    return String.format(Locale.ROOT, "[%s%s] %3d%% %,d/%,d MB %.1f MB/s",
        "#".repeat(filled), " ".repeat(WIDTH - filled), Math.round(fraction * 100),
        done / 1_000_000, total / 1_000_000, done / 1e6 / seconds);
  }

  private void draw() {
    out.print("\r" + line());
    out.flush();
  }
}
