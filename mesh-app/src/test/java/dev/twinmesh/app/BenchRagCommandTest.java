package dev.twinmesh.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** {@code twin-mesh bench rag} at a small scale: every figure is printed, with and without expansion. */
class BenchRagCommandTest {

  @Test
  void printsIngestionThroughputAndRetrievalLatencies(@TempDir Path dir) {
    StringWriter out = new StringWriter();
    CommandLine cli = TwinMesh.commandLine();
    cli.setOut(new PrintWriter(out, true));
    int exit = cli.execute("bench", "rag", "--chunks", "300", "--ingest-chunks", "8", "--authors", "3",
        "--queries", "20", "--expansion-queries", "2", "--expand-n", "2", "--data-dir", dir.resolve("bench").toString());
    String printed = out.toString();
    System.out.println(printed);
    assertEquals(0, exit, printed);
    assertTrue(printed.contains("chunks/s"), printed);
    assertTrue(printed.contains("store now holds 300 chunks"), printed);
    assertTrue(printed.matches("(?s).*retrieval without expansion: p50 [0-9.]+ ms, p95 [0-9.]+ ms.*"), printed);
    assertTrue(printed.matches("(?s).*retrieval with expansion: p50 [0-9.]+ ms, p95 [0-9.]+ ms.*"), printed);
    assertTrue(printed.matches("(?s).*bge-small-en-v1\\.5 \\(int8\\) on \\d+ cores.*"), printed);
    assertTrue(printed.matches("(?s).*rag\\.prompt over the event bus .*: p50 [0-9.]+ ms, p95 [0-9.]+ ms.*"), printed);
  }
}
