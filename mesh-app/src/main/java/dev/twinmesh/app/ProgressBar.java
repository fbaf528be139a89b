package dev.twinmesh.app;

import java.io.PrintWriter;

/** A one-line progress bar redrawn in place ({@code \r}), at most ten times a second and always at the end. */
final class ProgressBar {
  private static final int WIDTH = 30;
  private static final long REDRAW_NANOS = 100_000_000L;

  private final PrintWriter out;
  private final String unit;
  private long lastDrawn;
  private int lastWidth;

  ProgressBar(PrintWriter out, String unit) {
    this.out = out;
    this.unit = unit;
  }

  synchronized void update(int done, int total, int chunks, String current) {
    long now = System.nanoTime();
    if (done < total && now - lastDrawn < REDRAW_NANOS) {
      return;
    }
    lastDrawn = now;
    int filled = total == 0 ? WIDTH : (int) ((long) WIDTH * done / total);
    String line = String.format("[%s%s] %d/%d %s, %d chunks  %s", "#".repeat(filled), ".".repeat(WIDTH - filled),
        done, total, unit, chunks, shorten(current == null ? "" : current, 50));
    out.print("\r" + line + " ".repeat(Math.max(0, lastWidth - line.length())));
    lastWidth = line.length();
    if (done >= total) {
      out.println();
    }
    out.flush();
  }

  private static String shorten(String text, int max) {
    return text.length() <= max ? text : "..." + text.substring(text.length() - max + 3);
  }
}
