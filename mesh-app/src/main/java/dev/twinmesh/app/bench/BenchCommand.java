package dev.twinmesh.app.bench;

import picocli.CommandLine;
import picocli.CommandLine.Command;


/** {@code twin-mesh bench}: measurements of the mesh's parts, each printed and written as JSON and Markdown. */
@Command(name = "bench", mixinStandardHelpOptions = true,
    description = {"Benchmarks: 'engine' drives a worker's engine directly, without HTTP;",
        "'step' times the decoder's forward pass alone, at a fixed batch, context and block layout;",
        "'http' loads an OpenAI-compatible endpoint (the gateway or a worker) over SSE;",
        "'rag' measures ingestion throughput and retrieval latency over the embedded store;",
        "'traces' runs the trace pipeline (producer -> Kafka -> consumer -> PostgreSQL);",
        "'jobs' measures what an async job costs beyond its generation."},
    subcommands = {EngineBench.class, StepBench.class, HttpBench.class, RagBench.class, TracesBench.class, JobsBench.class,
        CommandLine.HelpCommand.class})
public final class BenchCommand implements Runnable {
  @CommandLine.Spec
  CommandLine.Model.CommandSpec spec;

  @Override
  public void run() {
    spec.commandLine().usage(System.out);
  }
}
