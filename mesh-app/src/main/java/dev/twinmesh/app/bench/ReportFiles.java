package dev.twinmesh.app.bench;

import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** A benchmark's report as files: {@code NAME.md} and {@code NAME.json} side by side. */
final class ReportFiles {
  private ReportFiles() {}

  static void write(Path dir, String name, String markdown, JsonObject json) {
    try {
      Files.createDirectories(dir);
      Files.writeString(dir.resolve(name + ".md"), markdown);
      Files.writeString(dir.resolve(name + ".json"), json.encodePrettily() + "\n");
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write the benchmark to " + dir, e);
    }
  }
}
