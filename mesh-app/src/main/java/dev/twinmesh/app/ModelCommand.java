package dev.twinmesh.app;

import dev.twinmesh.worker.checkpoint.CheckpointWriter;
import dev.twinmesh.worker.checkpoint.ModelConfig;
import dev.twinmesh.worker.checkpoint.ModelPreset;
import dev.twinmesh.worker.checkpoint.WriteProgress;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(name = "model", mixinStandardHelpOptions = true,
    description = "Model checkpoints: write a random-weight one for tests and local runs.",
    subcommands = {ModelCommand.Random.class, CommandLine.HelpCommand.class})
final class ModelCommand implements Runnable {
  @CommandLine.Spec
  CommandLine.Model.CommandSpec spec;

  @Override
  public void run() {
    spec.commandLine().usage(System.out);
  }

  @Command(name = "random", mixinStandardHelpOptions = true,
      description = {
          "Writes a Hugging Face Llama checkpoint with random weights and a real architecture config:",
          "config.json, model.safetensors (sharded above --shard-bytes, with model.safetensors.index.json),",
          "generation_config.json, a byte-level BPE tokenizer.json that twin-mesh builds itself, and",
          "tokenizer_config.json with a chat template. The same seed writes the same files."})
  static final class Random implements Callable<Integer> {
    @Option(names = "--preset", required = true,
        description = "tiny, smollm2-135m, llama-3.2-1b or llama-3.1-8b.")
    String preset;

    @Option(names = "--out", required = true, description = "Directory to write.")
    Path out;

    @Option(names = "--seed", defaultValue = "0", description = "Random seed. Default: ${DEFAULT-VALUE}.")
    long seed;

    @Option(names = "--dtype", defaultValue = "fp32", description = "fp32 or bf16. Default: ${DEFAULT-VALUE}.")
    String dtype;

    @Option(names = "--shard-bytes", defaultValue = "" + CheckpointWriter.DEFAULT_SHARD_BYTES,
        description = "Shard above this many bytes of weights. Default: ${DEFAULT-VALUE}.")
    long shardBytes;

    @Option(names = "--quiet", description = "No progress bar.")
    boolean quiet;

    @Override
    public Integer call() {
      ModelPreset chosen = ModelPreset.byId(preset);
      WriteProgress progress = quiet ? WriteProgress.quiet() : WriteProgress.bar(System.err);
      ModelConfig config = RandomModels.write(chosen, out, seed, dtype, shardBytes, progress);
      System.out.printf("wrote %s (%s, %,d parameters, random weights) to %s%n", chosen.id(), config.architecture(),
          config.parameterCount(), out);
      return 0;
    }
  }
}
