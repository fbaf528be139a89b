package dev.twinmesh.worker.scheduler;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/** The design rule that keeps the scheduler testable in milliseconds: nothing here touches tensors. */
class PlainJavaTest {

  @Test
  void noSchedulerClassImportsDjl() throws IOException {
    Path sources = Path.of("src/main/java/dev/twinmesh/worker/scheduler");
    assertTrue(Files.isDirectory(sources), "run from the gpu-worker module: " + sources.toAbsolutePath());
    try (Stream<Path> files = Files.list(sources)) {
      List<Path> offenders = files.filter(file -> read(file).contains("import ai.djl")).toList();
      assertEquals(List.of(), offenders);
    }
  }

  private static String read(Path file) {
    try {
      return Files.readString(file);
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }
}
