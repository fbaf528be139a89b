package dev.twinmesh.worker.model;

import static dev.twinmesh.worker.model.Layers.linear;
import static dev.twinmesh.worker.model.Layers.rmsNorm;
import static dev.twinmesh.worker.model.Layers.swiGlu;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import dev.twinmesh.worker.checkpoint.ModelConfig;
import dev.twinmesh.worker.checkpoint.TensorSource;
import java.nio.file.Path;

/**
 * The decoder of a Llama-family model over one sequence with a contiguous KV cache: a prefill of
 * T tokens, or one decode token (T = 1), or a chunk of a longer prompt.
 */
public final class LlamaModel implements AutoCloseable {

  private final ModelConfig config;
  private final LlamaWeights weights;
  private final RotaryEmbedding rope;
  private final Attention attention;
  private final NDManager manager;

  public LlamaModel(ModelConfig config, LlamaWeights weights, RotaryEmbedding rope, NDManager manager) {
    this.config = config;
    this.weights = weights;
    this.rope = rope;
    this.attention = new Attention(config.numAttentionHeads(), config.numKeyValueHeads(), config.headDim());
    this.manager = manager;
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

  /** A cache for one sequence of up to {@code capacity} positions (at most the rotary table). */
  public KvCache newCache(int capacity) {
    return KvCache.allocate(config, Math.min(capacity, rope.maxPositions()), manager, weights.dataType());
  }

  /**
   * Runs tokens at positions startPosition.. through every layer, appending their keys and values
   * to the cache, which must already hold positions [0, startPosition).
   *
   * @return fp32 logits [T, vocab]; the caller owns and closes them
   */
  public NDArray forward(int[] tokenIds, int startPosition, KvCache cache) {
    return run(tokenIds, startPosition, cache, false);
  }

  /** Logits of the last position only, as the sampler wants them. */
  public float[] forwardLast(int[] tokenIds, int startPosition, KvCache cache) {
    try (NDArray logits = run(tokenIds, startPosition, cache, true)) {
      return logits.toFloatArray();
    }
  }

  private NDArray run(int[] tokenIds, int startPosition, KvCache cache, boolean lastOnly) {
    int t = tokenIds.length;
    if (t == 0) {
      throw new IllegalArgumentException("no tokens to run");
    }
    cache.checkRange(startPosition, t);
    int total = startPosition + t;
    int heads = config.numAttentionHeads();
    int kvHeads = config.numKeyValueHeads();
    int headDim = config.headDim();
    double eps = config.rmsNormEps();
    // Every intermediate is created on `step` and registered with the scope: both end with this call.
    try (NDManager step = manager.newSubManager(); NDScope scope = new NDScope()) {
      NDArray ids = step.create(tokenIndices(tokenIds));                                 // [T]
      // embedding lookup
      NDArray x = weights.embedTokens().get(step, new NDIndex("{}", ids));               // [T, hidden]
      RotaryEmbedding.Angles angles = rope.angles(step, positions(startPosition, t));    // [T, 1, headDim/2]
      NDArray mask = t == 1 ? null : Attention.causalMask(step, startPosition, t);       // [T, total] or none

      for (int layer = 0; layer < config.numHiddenLayers(); layer++) {
        LlamaWeights.Layer w = weights.layers().get(layer);
        // RMSNorm
        NDArray h = rmsNorm(x, w.inputLayernorm(), eps);                          // [T, hidden]
        // qkv projections
        NDArray q = linear(h, w.qProj(), w.qProjBias()).reshape(t, heads, headDim);   // [T, heads, headDim]
        NDArray k = linear(h, w.kProj(), w.kProjBias()).reshape(t, kvHeads, headDim); // [T, kvHeads, headDim]
        NDArray v = linear(h, w.vProj(), w.vProjBias()).reshape(t, kvHeads, headDim); // [T, kvHeads, headDim]
        // rotary
        q = rope.rotate(q, angles);
        k = rope.rotate(k, angles);
        // append k and v to the KV cache
        cache.write(layer, startPosition, k, v);
        // grouped-query causal attention over every cached position
        NDArray attended = attention.attend(q, cache.keys(step, layer, total),
            cache.values(step, layer, total), mask);                               // [T, heads*headDim]
        // output projection, residual
        x = x.add(linear(attended, w.oProj(), null));                              // [T, hidden]
        // RMSNorm
        h = rmsNorm(x, w.postAttentionLayernorm(), eps);
        // SwiGLU, residual
        x = x.add(swiGlu(h, w.gateProj(), w.upProj(), w.downProj()));              // [T, hidden]
      }
      cache.setLength(total);

      if (lastOnly) {
        x = x.get(new NDIndex("{}:", t - 1));                                      // [1, hidden]
      }
      // final norm
      x = rmsNorm(x, weights.norm(), eps);
      // logits over the whole vocabulary, in fp32
      NDArray logits = linear(x, weights.lmHead(), null).toType(DataType.FLOAT32, false); // [T, vocab]
      if (lastOnly) {
        logits = logits.reshape(config.vocabSize());                               // [vocab]
      }
      // The result outlives the step: the caller closes it.
      NDScope.unregister(logits);
      logits.attach(manager);
      return logits;
    }
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
    manager.close();
  }
}
