package dev.twinmesh.deploy;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.function.ToDoubleFunction;
import javax.imageio.ImageIO;

/** The simulation as a PNG: four panels over time sharing one axis, drawn with Java2D. */
final class SimulationChart {
  private static final int WIDTH = 1100;
  private static final int PANEL = 190;
  private static final int LEFT = 70;
  private static final int RIGHT = 150;
  private static final int TOP = 40;

  record Series(String label, Color color, ToDoubleFunction<ScalingSimulation.Step> value) {}

  private SimulationChart() {}

  static void write(Path file, String title, List<ScalingSimulation.Step> steps, double ttftTarget, double capacityPerWorker)
      throws IOException {
    BufferedImage image = new BufferedImage(WIDTH, TOP + 4 * (PANEL + 30) + 30, BufferedImage.TYPE_INT_RGB);
    Graphics2D g = image.createGraphics();
    g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
    g.setColor(Color.WHITE);
    g.fillRect(0, 0, image.getWidth(), image.getHeight());
    g.setColor(Color.BLACK);
    g.setFont(new Font(Font.SANS_SERIF, Font.BOLD, 15));
    g.drawString(title, LEFT, 24);
    g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 11));
    panel(g, 0, "requests/s", steps, null, List.of(
        new Series("offered load", new Color(200, 60, 40), s -> s.offeredRate()),
        new Series("ready capacity", new Color(40, 120, 200), s -> s.ready() * capacityPerWorker)));
    panel(g, 1, "workers", steps, null, List.of(
        new Series("replicas (HPA)", new Color(120, 60, 160), s -> s.desired()),
        new Series("ready", new Color(40, 150, 80), s -> s.ready())));
    panel(g, 2, "per worker", steps, null, List.of(
        new Series("queue (waiting)", new Color(220, 130, 20), s -> s.waitingPerPod()),
        new Series("KV use x 10", new Color(60, 60, 60), s -> 10 * s.kvUsage())));
    panel(g, 3, "TTFT, s", steps, ttftTarget, List.of(
        new Series("time to first token", new Color(200, 40, 120), s -> Math.min(s.ttftSeconds(), 8 * ttftTarget))));
    g.dispose();
    Files.createDirectories(file.getParent());
    ImageIO.write(image, "png", file.toFile());
  }

  private static void panel(Graphics2D g, int index, String unit, List<ScalingSimulation.Step> steps, Double target,
                            List<Series> series) {
    int top = TOP + index * (PANEL + 30);
    int width = WIDTH - LEFT - RIGHT;
    double max = 1e-9;
    for (Series s : series) {
      for (ScalingSimulation.Step step : steps) {
        max = Math.max(max, s.value().applyAsDouble(step));
      }
    }
    if (target != null) {
      max = Math.max(max, target * 1.5);
    }
    max *= 1.1;
    g.setColor(new Color(235, 235, 235));
    for (int i = 0; i <= 4; i++) {
      int y = top + PANEL - i * PANEL / 4;
      g.drawLine(LEFT, y, LEFT + width, y);
      g.setColor(Color.DARK_GRAY);
      g.drawString(String.format("%.1f", max * i / 4), 8, y + 4);
      g.setColor(new Color(235, 235, 235));
    }
    int total = steps.size();
    g.setColor(Color.DARK_GRAY);
    for (int minute = 0; minute * 60 < total; minute += 10) {
      int x = LEFT + (int) ((long) minute * 60 * width / total);
      String label = minute + " min";
      g.drawLine(x, top + PANEL, x, top + PANEL + 3);
      g.drawString(label, x - g.getFontMetrics().stringWidth(label) / 2, top + PANEL + 15);
    }
    g.drawRect(LEFT, top, width, PANEL);
    g.drawString(unit, LEFT + 4, top + 12);
    if (target != null) {
      g.setColor(Color.RED);
      g.setStroke(new BasicStroke(1f, BasicStroke.CAP_BUTT, BasicStroke.JOIN_MITER, 10f, new float[] {6f, 4f}, 0f));
      int y = top + PANEL - (int) (target / max * PANEL);
      g.drawLine(LEFT, y, LEFT + width, y);
      g.drawString("target " + target + " s", LEFT + width + 8, y + 4);
    }
    g.setStroke(new BasicStroke(1.6f));
    int legend = 0;
    for (Series s : series) {
      g.setColor(s.color());
      int px = -1;
      int py = -1;
      for (int i = 0; i < total; i++) {
        int x = LEFT + (int) ((long) i * width / total);
        int y = top + PANEL - (int) (s.value().applyAsDouble(steps.get(i)) / max * PANEL);
        if (px >= 0) {
          g.drawLine(px, py, x, y);
        }
        px = x;
        py = y;
      }
      g.drawString(s.label(), LEFT + width + 8, top + 30 + 16 * legend++);
    }
  }
}
