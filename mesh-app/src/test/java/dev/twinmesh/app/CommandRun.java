package dev.twinmesh.app;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;

/** One {@code twin-mesh} command run in the test JVM: its exit code and what it printed (also echoed to the log). */
record CommandRun(int exit, String console) {

  static CommandRun execute(String... args) {
    ByteArrayOutputStream printed = new ByteArrayOutputStream();
    PrintStream original = System.out;
    int exit;
    System.setOut(new PrintStream(printed, true, StandardCharsets.UTF_8));
    try {
      exit = TwinMesh.commandLine().execute(args);
    } finally {
      System.setOut(original);
    }
    String console = printed.toString(StandardCharsets.UTF_8);
    System.out.print(console);
    return new CommandRun(exit, console);
  }
}
