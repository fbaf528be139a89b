package dev.twinmesh.worker.model;

import ai.djl.ndarray.NDArray;
import dev.twinmesh.worker.checkpoint.ModelConfig;
import dev.twinmesh.worker.engine.ModelRunner;
import dev.twinmesh.worker.scheduler.SchedulerOutput;
import dev.twinmesh.worker.scheduler.SchedulerOutput.ScheduledSequence;
import java.util.Arrays;
import java.util.List;
import java.util.stream.IntStream;

/**
 * Turns a scheduled step into the model's batch input (token ids, positions, slot mapping, context
 * lengths, block tables), runs {@link LlamaModel} over the paged cache, and hands back the logits rows
 * the sampler needs. Owns the model and the cache.
 */
public final class LlamaModelRunner implements ModelRunner {
  private final LlamaModel model;
  private final PagedKvCache cache;
  private final int intraOpThreads;
  private Thread threadsSetOn;

  public LlamaModelRunner(LlamaModel model, int numBlocks, int blockSize) {
    this(model, numBlocks, blockSize, 0);
  }

  /** @param intraOpThreads threads per op on the thread that calls {@link #execute}; 0 for PyTorch's default */
  public LlamaModelRunner(LlamaModel model, int numBlocks, int blockSize, int intraOpThreads) {
    this.model = model;
    this.cache = model.newPagedCache(numBlocks, blockSize);
    this.intraOpThreads = intraOpThreads;
  }

  /** Blocks of {@code blockSize} tokens that fit {@code budgetBytes}: keys and values of every layer. */
  public static int blocksFor(long budgetBytes, int blockSize, ModelConfig config, int bytesPerValue) {
    long perBlock = 2L * config.numHiddenLayers() * blockSize * config.numKeyValueHeads() * config.headDim()
        * bytesPerValue;
    return (int) Math.min(Integer.MAX_VALUE, budgetBytes / perBlock);
  }

  @Override
  public float[][] execute(SchedulerOutput step) {
    if (threadsSetOn != Thread.currentThread()) {
      DjlRuntime.useIntraOpThreads(intraOpThreads); // per thread in PyTorch: the engine thread sets its own
      threadsSetOn = Thread.currentThread();
    }
    BatchInput batch = batchInput(step.scheduled());
    int[] sampling = IntStream.range(0, step.scheduled().size())
        .filter(s -> step.scheduled().get(s).samplesToken()).toArray();
    float[][] rows = new float[step.scheduled().size()][];
    try (NDArray logits = model.forward(batch, cache, sampling)) {
      if (sampling.length == 0) {
        return rows;
      }
      float[] flat = logits.toFloatArray();
      int vocab = (int) logits.getShape().get(1);
      for (int i = 0; i < sampling.length; i++) {
        rows[sampling[i]] = Arrays.copyOfRange(flat, i * vocab, (i + 1) * vocab);
      }
    }
    return rows;
  }

  private BatchInput batchInput(List<ScheduledSequence> scheduled) {
    int n = scheduled.stream().mapToInt(ScheduledSequence::numNewTokens).sum();
    int[] tokens = new int[n];
    int[] positions = new int[n];
    int[] slots = new int[n];
    int[] queryLengths = new int[scheduled.size()];
    int[] contextLengths = new int[scheduled.size()];
    int[][] blockTables = new int[scheduled.size()][];
    int offset = 0;
    for (int s = 0; s < scheduled.size(); s++) {
      ScheduledSequence seq = scheduled.get(s);
      int count = seq.numNewTokens();
      System.arraycopy(seq.tokenIds(), 0, tokens, offset, count);
      System.arraycopy(seq.slotMapping(cache.blockSize()), 0, slots, offset, count);
      for (int i = 0; i < count; i++) {
        positions[offset + i] = seq.startPosition() + i;
      }
      queryLengths[s] = count;
      contextLengths[s] = seq.contextLength();
      blockTables[s] = seq.blockTable();
      offset += count;
    }
    return new BatchInput(tokens, positions, slots, queryLengths, contextLengths, blockTables);
  }

  @Override
  public void close() {
    cache.close();
    model.close();
  }
}
