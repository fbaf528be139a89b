package dev.twinmesh.app.bench;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** {@code twin-mesh bench}: load generators for the mesh; each kind of benchmark is a subcommand. */
@Command(name = "bench", mixinStandardHelpOptions = true,
    description = {"Benchmarks: 'bench traces' runs the trace pipeline (producer -> Kafka -> consumer -> PostgreSQL),",
        "'bench jobs' what an async job costs beyond its generation."},
    subcommands = {TracesBench.class, JobsBench.class, CommandLine.HelpCommand.class})
public final class BenchCommand implements Runnable {
  @CommandLine.Spec
  CommandLine.Model.CommandSpec spec;

  @Override
  public void run() {
    spec.commandLine().usage(System.out);
  }
}
