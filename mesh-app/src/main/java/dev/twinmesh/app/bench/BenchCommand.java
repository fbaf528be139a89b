package dev.twinmesh.app.bench;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** {@code twin-mesh bench}: measurements of the mesh's parts; each kind of benchmark is a subcommand. */
@Command(name = "bench", mixinStandardHelpOptions = true,
    description = "Benchmarks: 'rag' measures ingestion throughput and retrieval latency over the embedded store.",
    subcommands = {RagBench.class, CommandLine.HelpCommand.class})
public final class BenchCommand implements Runnable {
  @CommandLine.Spec
  CommandLine.Model.CommandSpec spec;

  @Override
  public void run() {
    spec.commandLine().usage(System.out);
  }
}
