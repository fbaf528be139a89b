package dev.twinmesh.app.bench;

import ai.djl.ndarray.NDArray;
import dev.twinmesh.worker.WorkerSettings;
import dev.twinmesh.worker.checkpoint.Checkpoint;
import dev.twinmesh.worker.checkpoint.ModelConfig;
import dev.twinmesh.worker.checkpoint.ModelConfigs;
import dev.twinmesh.worker.model.BatchInput;
import dev.twinmesh.worker.model.DjlRuntime;
import dev.twinmesh.worker.model.KvCacheBudget;
import dev.twinmesh.worker.model.LlamaModel;
import dev.twinmesh.worker.model.LlamaModelRunner;
import dev.twinmesh.worker.model.PagedKvCache;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * Times the decoder's forward pass alone over the paged KV cache: one decode step of a fixed batch at a
 * fixed context, repeated, with no scheduler, sampler or HTTP around it. Each sequence's prompt is
 * written into the cache once; every timed step then recomputes each sequence's last position (its key
 * and value rewrite the same slot), so all steps see the same context and the same block tables, and
 * the spread between them is the machine's. Where {@code bench engine} measures the engine, this
 * isolates the model step, and the block layout it reads.
 */
@Command(name = "step", mixinStandardHelpOptions = true,
    description = "Times one decode step of the paged decoder, repeated at a fixed batch and context, for each"
        + " sequence count and block layout. Each round passes over every case in turn, so cases are compared"
        + " under the same minute's noise. Prints min, p50 and p90 step time, and tokens/s and model FLOP/s at"
        + " the median step.")
public final class StepBench implements Callable<Integer> {

  @Spec
  CommandSpec spec;

  @Option(names = "--model", required = true, description = "Checkpoint directory.")
  Path model;

  @Option(names = "--sequences", defaultValue = "1,16", split = ",",
      description = "Sequences per step, one case each. Default: ${DEFAULT-VALUE}.")
  List<Integer> sequences;

  @Option(names = "--context", defaultValue = "320", description = "Positions each sequence attends over. Default: ${DEFAULT-VALUE}.")
  int context;

  @Option(names = "--layout", defaultValue = "contiguous", split = ",",
      description = "Where the sequences' blocks lie: ${COMPLETION-CANDIDATES}. Default: ${DEFAULT-VALUE}.")
  List<BlockLayout> layouts;

  @Option(names = "--prompt-tokens", defaultValue = "256",
      description = "GROWN layout: the prompt's share of the context; the blocks after it were taken in turn. Default: ${DEFAULT-VALUE}.")
  int promptTokens;

  @Option(names = "--steps", defaultValue = "100", description = "Timed steps per case. Default: ${DEFAULT-VALUE}.")
  int steps;

  @Option(names = "--warmup", defaultValue = "10", description = "Untimed steps before them. Default: ${DEFAULT-VALUE}.")
  int warmup;

  @Option(names = "--rounds", defaultValue = "1", description = "Passes over all cases. Default: ${DEFAULT-VALUE}.")
  int rounds;

  @Option(names = "--pool-blocks", defaultValue = "0",
      description = "KV pool size in blocks; 0 takes what a worker's default KV memory holds. Default: ${DEFAULT-VALUE}.")
  int poolBlocks;

  @Option(names = "--threads", defaultValue = "0", description = "Intra-op threads; 0 uses every core. Default: ${DEFAULT-VALUE}.")
  int threads;

  @Option(names = "--device", defaultValue = "auto", description = "auto, cpu or cuda. Default: ${DEFAULT-VALUE}.")
  String device;

  @Option(names = "--seed", defaultValue = "0", description = "Seed of the prompts and of the SCATTERED draw. Default: ${DEFAULT-VALUE}.")
  long seed;

  @Option(names = "--out", description = "Directory for step-bench.json and step-bench.md.")
  Path out;

  @Override
  public Integer call() {
    ModelConfig config = ModelConfigs.load(model);
    checkOptions(config);
    DjlRuntime runtime = DjlRuntime.start(new DjlRuntime.Options(device, threads));
    try {
      DjlRuntime.useIntraOpThreads(threads); // this thread runs the model, as the engine thread does in a worker
      LlamaModel llama;
      try (Checkpoint checkpoint = Checkpoint.open(model)) {
        llama = LlamaModel.load(model, checkpoint, config, runtime, context);
      }
      try (llama) {
        llama.releaseReferenceWeights();
        // sized after the weights, as a worker sizes it: on CUDA the default is a share of the memory left
        int blockSize = WorkerSettings.Runtime.DEFAULT_BLOCK_SIZE;
        int pool = poolBlocks > 0 ? poolBlocks : LlamaModelRunner.blocksFor(KvCacheBudget.bytes(0, runtime.device()),
            blockSize, config, runtime.weightType().getNumOfBytes());
        checkPool(pool, blockSize);
        StepBenchReport report = new StepBenchReport(model, config, runtime, context, pool, blockSize,
            new ModelCost(config, runtime.weightType().getNumOfBytes()));
        try (PagedKvCache cache = llama.newPagedCache(pool, blockSize)) {
          for (int round = 1; round <= rounds; round++) {
            for (int batch : sequences) {
              for (BlockLayout layout : layouts) {
                System.err.printf("round %d: %d sequences, %s blocks...%n", round, batch, layout);
                report.add(new StepBenchReport.Run(batch, layout, round, time(llama, cache, batch, layout, round)));
              }
            }
          }
        }
        report.print(System.out);
        if (out != null) {
          report.write(out);
        }
        return 0;
      }
    } finally {
      runtime.close();
    }
  }

  private void checkOptions(ModelConfig config) {
    if (context < 1 || context > config.maxPositionEmbeddings()) {
      throw new ParameterException(spec.commandLine(), "--context must be 1 to " + config.maxPositionEmbeddings()
          + " (the model's max_position_embeddings), got " + context);
    }
    if (steps < 1 || warmup < 0 || rounds < 1 || sequences.stream().anyMatch(s -> s < 1)) {
      throw new ParameterException(spec.commandLine(), "--steps, --rounds and --sequences must be at least 1, --warmup 0 or more");
    }
  }

  private void checkPool(int pool, int blockSize) {
    int largest = sequences.stream().mapToInt(Integer::intValue).max().orElse(1);
    long needed = (long) largest * ((context + blockSize - 1) / blockSize);
    if (needed > pool) {
      throw new ParameterException(spec.commandLine(), largest + " sequences of " + context + " positions need "
          + needed + " blocks of " + blockSize + " tokens, but the KV pool has " + pool
          + ": raise --pool-blocks or lower --sequences or --context");
    }
  }

  /** Writes each sequence's prompt into its blocks, then times {@code steps} decode steps over all of them. */
  private Latencies time(LlamaModel llama, PagedKvCache cache, int batch, BlockLayout layout, int round) {
    int blockSize = cache.blockSize();
    int blocksPerSequence = (context + blockSize - 1) / blockSize;
    int[][] tables = layout.tables(batch, blocksPerSequence, cache.numBlocks(),
        (promptTokens + blockSize - 1) / blockSize, seed + round);
    SplittableRandom random = new SplittableRandom(seed);
    int vocab = llama.config().vocabSize();
    int[] lastTokens = new int[batch];
    for (int s = 0; s < batch; s++) {
      int[] ids = random.ints(context, 0, vocab).toArray();
      lastTokens[s] = ids[context - 1];
      int[] positions = new int[context];
      int[] slots = new int[context];
      for (int p = 0; p < context; p++) {
        positions[p] = p;
        slots[p] = slot(tables[s], p, blockSize);
      }
      run(llama, cache, new BatchInput(ids, positions, slots, new int[] {context}, new int[] {context},
          new int[][] {tables[s]}));
    }
    int[] positions = new int[batch];
    int[] slots = new int[batch];
    int[] ones = new int[batch];
    int[] contexts = new int[batch];
    for (int s = 0; s < batch; s++) {
      positions[s] = context - 1;
      slots[s] = slot(tables[s], context - 1, blockSize);
      ones[s] = 1;
      contexts[s] = context;
    }
    BatchInput step = new BatchInput(lastTokens, positions, slots, ones, contexts, tables);
    for (int i = 0; i < warmup; i++) {
      run(llama, cache, step);
    }
    Latencies latencies = new Latencies();
    for (int i = 0; i < steps; i++) {
      long started = System.nanoTime();
      run(llama, cache, step);
      latencies.add(System.nanoTime() - started);
    }
    return latencies;
  }

  private static int slot(int[] table, int position, int blockSize) {
    return table[position / blockSize] * blockSize + position % blockSize;
  }

  /** One forward pass, its logits read into Java as the engine's sampler reads them. */
  private static void run(LlamaModel llama, PagedKvCache cache, BatchInput batch) {
    try (NDArray logits = llama.forward(batch, cache)) {
      logits.toFloatArray();
    }
  }
}
