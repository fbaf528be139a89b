package dev.twinmesh.worker.model;

import static dev.twinmesh.worker.model.Layers.linear;
import static dev.twinmesh.worker.model.Layers.rmsNorm;
import static dev.twinmesh.worker.model.Layers.swiGlu;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import dev.twinmesh.worker.checkpoint.ModelConfig;
import dev.twinmesh.worker.checkpoint.TensorSource;
import java.nio.file.Path;
import java.util.Arrays;

/**
 * The decoder of a Llama-family model. Over one sequence with a contiguous {@link KvCache}: a
 * prefill of T tokens, one decode token (T = 1), or a chunk of a longer prompt. Over a batch of
 * sequences with a {@link PagedKvCache}: any mix of prompt chunks and decode tokens.
 *
 * <p>Not thread-safe: one engine thread runs it.
 */
public final class LlamaModel implements AutoCloseable {

  private final ModelConfig config;
  private final LlamaWeights weights;
  private final RotaryEmbedding rope;
  private final Attention attention;   // the contiguous-cache path, one sequence: the reference
  private final ScriptedDecoder decoder; // the paged-cache path the engine runs
  private final NDManager manager;
  private final NDArray epsilon; // rms_norm_eps as a scalar array, made once
  private final long[] qkHeads; // split point of the fused projection's heads: queries and keys | values
  private final long[] qHeads;  // split point of the rotated heads: queries | keys
  private boolean referenceReleased; // the plain projections are gone: only the paged path runs

  public LlamaModel(ModelConfig config, LlamaWeights weights, RotaryEmbedding rope, NDManager manager) {
    this.qkHeads = new long[] {config.numAttentionHeads() + config.numKeyValueHeads()};
    this.qHeads = new long[] {config.numAttentionHeads()};
    this.config = config;
    this.weights = weights;
    this.rope = rope;
    this.attention = new Attention(config.numAttentionHeads(), config.numKeyValueHeads(), config.headDim(), manager);
    this.epsilon = manager.create(config.rmsNormEps());
    this.manager = manager;
    this.decoder = ScriptedDecoder.create(config, weights, rope, manager);
  }

  /**
   * Loads weights and builds rotary tables for positions below {@code maxPositions} (0 or more than
   * the config allows means max_position_embeddings), in the runtime's device and dtype.
   */
  public static LlamaModel load(Path origin, TensorSource source, ModelConfig config, DjlRuntime runtime,
                                int maxPositions) {
    return load(origin, source, config, runtime.manager(), runtime.weightType(), maxPositions);
  }

  /** As above on an explicit manager and dtype (fp16 on CPU runs the CUDA numerics where no GPU is). */
  public static LlamaModel load(Path origin, TensorSource source, ModelConfig config, NDManager parent,
                                DataType type, int maxPositions) {
    int positions = maxPositions <= 0 ? config.maxPositionEmbeddings()
        : Math.min(maxPositions, config.maxPositionEmbeddings());
    NDManager manager = parent.newSubManager();
    try {
      LlamaWeights weights = LlamaWeights.load(origin, source, config, manager, type);
      RotaryEmbedding rope = RotaryEmbedding.create(config, positions, manager, type);
      return new LlamaModel(config, weights, rope, manager);
    } catch (RuntimeException e) {
      manager.close();
      throw e;
    }
  }

  /**
   * Frees the plain projection weights where the paged decoder multiplies by packed copies of them
   * (fp32 on CPU), so that a serving process holds the model once; elsewhere it does nothing. The
   * contiguous one-sequence path reads the plain weights: it is the tests' reference, and refuses to
   * run after this.
   */
  public void releaseReferenceWeights() {
    if (decoder.packed() && !referenceReleased) {
      weights.closeProjections();
      NativeHeap.trim(); // the packed copies sit above the freed weights on the heap: only a trim returns them
      referenceReleased = true;
    }
  }

  /** A cache for one sequence of up to {@code capacity} positions (at most the rotary table). */
  public KvCache newCache(int capacity) {
    return KvCache.allocate(config, Math.min(capacity, rope.maxPositions()), manager, weights.dataType());
  }

  /** A block cache shared by every sequence of {@link #forward(BatchInput, PagedKvCache)}. */
  public PagedKvCache newPagedCache(int numBlocks, int blockSize) {
    return PagedKvCache.allocate(config, numBlocks, blockSize, manager, weights.dataType());
  }

  /**
   * Runs tokens at positions startPosition.. through every layer, appending their keys and values
   * to the cache, which must already hold positions [0, startPosition).
   *
   * @return fp32 logits [T, vocab]; the caller owns and closes them
   */
  public NDArray forward(int[] tokenIds, int startPosition, KvCache cache) {
    return runContiguous(tokenIds, startPosition, cache, false);
  }

  /** Logits of the last position only, as the sampler wants them. */
  public float[] forwardLast(int[] tokenIds, int startPosition, KvCache cache) {
    try (NDArray logits = runContiguous(tokenIds, startPosition, cache, true)) {
      return logits.toFloatArray();
    }
  }

  /**
   * One engine step over several sequences sharing a paged cache: every new token's key and value
   * go to its slot, and each sequence attends over the slots of its block table.
   *
   * @return fp32 logits [S, vocab] of each sequence's last new token; the caller closes them
   */
  public NDArray forward(BatchInput batch, PagedKvCache cache) {
    int[] all = new int[batch.numSequences()];
    Arrays.setAll(all, s -> s);
    return forward(batch, cache, all);
  }

  /**
   * As above, with logits for the given sequences only (those that sample this step; a prompt chunk
   * that does not end its prompt needs none): the vocabulary projection is the widest in the model.
   *
   * @param logitSequences indices of sequences in the batch, in the order of the returned rows
   * @return fp32 logits [logitSequences.length, vocab]; the caller closes them
   */
  public NDArray forward(BatchInput batch, PagedKvCache cache, int[] logitSequences) {
    long[] ids = tokenIndices(batch.tokenIds());
    int token = 0;
    for (int s = 0; s < batch.numSequences(); s++) {
      token = checkSlots(batch, s, token, cache);
    }
    long[] lastRows = batch.lastTokenRows();
    long[] logitRows = new long[logitSequences.length];
    for (int i = 0; i < logitRows.length; i++) {
      logitRows[i] = lastRows[logitSequences[i]];
    }
    try (NDManager step = manager.newSubManager()) {
      return keep(decoder.forward(batch, ids, cache, logitRows, step));
    }
  }

  /**
   * The slot mapping must agree with the block tables, or keys would land where no query looks, and
   * every block a table names must be in the cache. Checks each new token and each table entry once:
   * no per-position work on the engine step's path.
   */
  private static int checkSlots(BatchInput batch, int s, int firstToken, PagedKvCache cache) {
    int blockSize = cache.blockSize();
    int[] table = batch.blockTables()[s];
    if ((batch.contextLengths()[s] + blockSize - 1) / blockSize > table.length) {
      throw new IllegalArgumentException("sequence " + s + ": block table of " + table.length
          + " blocks does not cover its " + batch.contextLengths()[s] + " positions");
    }
    for (int block : table) {
      if (block < 0 || block >= cache.numBlocks()) {
        throw new IllegalArgumentException("sequence " + s + ": block table names block " + block
            + " beyond the cache's " + cache.numBlocks());
      }
    }
    int token = firstToken;
    for (int i = 0; i < batch.queryLengths()[s]; i++, token++) {
      int position = batch.positions()[token];
      long expected = (long) table[position / blockSize] * blockSize + position % blockSize;
      long slot = batch.slotMapping()[token];
      if (slot != expected) {
        throw new IllegalArgumentException("sequence " + s + ": token at position " + position + " maps to slot "
            + slot + " but its block table gives slot " + expected + " (cache has " + cache.numSlots() + " slots)");
      }
    }
    return token;
  }

  private NDArray runContiguous(int[] tokenIds, int startPosition, KvCache cache, boolean lastOnly) {
    if (referenceReleased) {
      throw new IllegalStateException("the contiguous path needs the plain weights, released for serving");
    }
    int t = tokenIds.length;
    if (t == 0) {
      throw new IllegalArgumentException("no tokens to run");
    }
    cache.checkRange(startPosition, t);
    int total = startPosition + t;
    // Every intermediate is created on `step` and registered with the scope: both end with this call.
    try (NDManager step = manager.newSubManager(); NDScope scope = new NDScope()) {
      NDArray mask = t == 1 ? null : Attention.causalMask(step, startPosition, t);       // [T, total] or none
      AttentionStep contiguous = (layer, q, k, v) -> {
        cache.write(layer, startPosition, k, v);
        return attention.attend(q, cache.keys(step, layer, total), cache.values(step, layer, total), mask);
      };
      NDArray hidden = decode(step, tokenIds, positions(startPosition, t), contiguous);  // [T, hidden]
      cache.setLength(total);
      if (lastOnly) {
        hidden = hidden.get(new NDIndex("{}", t - 1));                                  // [hidden]
      }
      return keep(logits(hidden));
    }
  }

  /** Stores this layer's new k/v and returns the attention output [N, heads*headDim]. */
  @FunctionalInterface
  private interface AttentionStep {
    NDArray apply(int layer, NDArray q, NDArray k, NDArray v);
  }

  /** Embedding and every decoder layer: the hidden states [N, hidden] before the final norm. */
  private NDArray decode(NDManager step, int[] tokenIds, long[] positions, AttentionStep attend) {
    int n = tokenIds.length;
    int heads = config.numAttentionHeads();
    int kvHeads = config.numKeyValueHeads();
    int headDim = config.headDim();
    NDArray ids = step.create(tokenIndices(tokenIds));                                 // [N]
    // embedding lookup
    NDArray x = weights.embedTokens().get(step, new NDIndex("{}", ids));               // [N, hidden]
    RotaryEmbedding.Angles angles = rope.angles(step, positions);                      // [N, 1, headDim/2]

    for (int layer = 0; layer < config.numHiddenLayers(); layer++) {
      LlamaWeights.Layer w = weights.layers().get(layer);
      // RMSNorm
      NDArray h = rmsNorm(x, w.inputLayernorm(), epsilon);                             // [N, hidden]
      // qkv projections, one product
      NDList qkAndV = linear(h, w.qkvProj(), w.qkvProjBias()).reshape(n, heads + 2L * kvHeads, headDim)
          .split(qkHeads, 1);                                                         // [N, heads+kvHeads, headDim], [N, kvHeads, headDim]
      // rotary, queries and keys together
      NDList qAndK = rope.rotate(qkAndV.get(0), angles).split(qHeads, 1);
      NDArray q = qAndK.get(0);                                                        // [N, heads, headDim]
      NDArray k = qAndK.get(1);                                                        // [N, kvHeads, headDim]
      NDArray v = qkAndV.get(1);                                                       // [N, kvHeads, headDim]
      // append k and v to the cache, then grouped-query causal attention over every cached position
      NDArray attended = attend.apply(layer, q, k, v);                                 // [N, heads*headDim]
      // output projection, residual
      x = x.add(linear(attended, w.oProj(), null));                                    // [N, hidden]
      // RMSNorm
      h = rmsNorm(x, w.postAttentionLayernorm(), epsilon);
      // SwiGLU, residual
      x = x.add(swiGlu(h, w.gateUpProj(), w.downProj()));                              // [N, hidden]
    }
    return x;
  }

  /** Final norm and the vocabulary projection, in fp32: [..., vocab]. */
  private NDArray logits(NDArray hidden) {
    return linear(rmsNorm(hidden, weights.norm(), epsilon), weights.lmHead(), null)
        .toType(DataType.FLOAT32, false);
  }

  /** The result outlives the step: out of the scope, onto the model's manager; the caller closes it. */
  private NDArray keep(NDArray result) {
    NDScope.unregister(result);
    result.attach(manager);
    return result;
  }

  private long[] tokenIndices(int[] tokenIds) {
    long[] ids = new long[tokenIds.length];
    for (int i = 0; i < ids.length; i++) {
      if (tokenIds[i] < 0 || tokenIds[i] >= config.vocabSize()) {
        throw new IllegalArgumentException("token id " + tokenIds[i] + " outside the vocabulary [0, "
            + config.vocabSize() + ")");
      }
      ids[i] = tokenIds[i];
    }
    return ids;
  }

  private static long[] positions(int start, int count) {
    long[] positions = new long[count];
    for (int i = 0; i < count; i++) {
      positions[i] = start + i;
    }
    return positions;
  }

  public ModelConfig config() {
    return config;
  }

  public LlamaWeights weights() {
    return weights;
  }

  public RotaryEmbedding rope() {
    return rope;
  }

  @Override
  public void close() {
    decoder.close();
    manager.close();
  }
}
