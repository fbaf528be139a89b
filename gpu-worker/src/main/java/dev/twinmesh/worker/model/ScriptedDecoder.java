package dev.twinmesh.worker.model;

import ai.djl.engine.EngineException;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.engine.PtNDManager;
import ai.djl.pytorch.jni.IValue;
import ai.djl.pytorch.jni.JniUtils;
import dev.twinmesh.worker.checkpoint.ModelConfig;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The decoder over the paged KV cache as one TorchScript call per engine step: every layer, the
 * cache writes, the block-table gathers and the attention run inside PyTorch, so a step costs one
 * crossing into native code instead of some fifty per layer, and each intermediate is freed the
 * moment it is dead (a step's working set stays in cache). The source is
 * {@code twin_llama.torchscript}; the weights stay the {@link LlamaWeights} tensors, handed over by
 * reference, except that in fp32 on CPU the projections are replaced by packed copies that oneDNN
 * multiplies (see {@link PackedProduct}).
 *
 * <p>Not thread-safe: the engine thread runs it.
 */
final class ScriptedDecoder implements AutoCloseable {

  private static final Logger LOG = LoggerFactory.getLogger(ScriptedDecoder.class);
  private static final String SOURCE = "twin_llama.torchscript";
  private static final String CLASS = "TwinLlama";

  private final ScriptModule module;
  private boolean packed; // the projections run from packed copies; the plain ones are no longer read
  private PagedKvCache boundCache;
  private Thread unoptimizedOn;

  private ScriptedDecoder(ScriptModule module) {
    this.module = module;
  }

  /** Compiles the decoder and hands it the weights and rotary tables; {@code parent} owns what it makes. */
  static ScriptedDecoder create(ModelConfig config, LlamaWeights weights, RotaryEmbedding rope, NDManager parent) {
    JniUtils.setGraphExecutorOptimize(false); // see forward(); methods keep the setting they first ran under
    ScriptModule module = ScriptModule.compile(parent, CLASS, source(), initialAttributes());
    try {
      ScriptedDecoder decoder = new ScriptedDecoder(module);
      module.call("configure", IValue.from((long) config.numAttentionHeads()),
          IValue.from((long) config.numKeyValueHeads()), IValue.from((long) config.headDim()),
          IValue.from(config.attentionBias()), IValue.from(config.rmsNormEps()));
      decoder.setWeights(weights, rope);
      if (PackedProduct.packs(weights.device(), weights.dataType())) {
        decoder.pack();
      }
      return decoder;
    } catch (RuntimeException e) {
      module.close();
      throw e;
    }
  }

  /**
   * Swaps in packed copies of the projections. oneDNN's packing was measured on one x86 CPU only; where
   * it fails the decoder keeps the plain weights and runs, slower, rather than not at all.
   */
  private void pack() {
    try {
      module.call("pack_weights", IValue.from(PackedProduct.BATCH_HINT));
      packed = true;
    } catch (EngineException e) {
      LOG.warn("oneDNN could not pack the weights, so the decoder multiplies by the plain ones: {}", e.getMessage());
    }
  }

  private static Map<String, Object> initialAttributes() {
    Map<String, Object> attributes = new LinkedHashMap<>();
    attributes.put("training", false);
    attributes.put("heads", 0L);
    attributes.put("kv_heads", 0L);
    attributes.put("head_dim", 0L);
    attributes.put("block_size", 0L);
    attributes.put("pool_blocks", 0L);
    attributes.put("has_bias", false);
    attributes.put("eps", 0.0);
    attributes.put("scale", 0.0);
    attributes.put("packed", false);
    for (String list : List.of("model", "layers", "caches")) {
      attributes.put(list, TorchScriptArchive.EMPTY_LIST);
    }
    return attributes;
  }

  private static String source() {
    try (InputStream in = ScriptedDecoder.class.getResourceAsStream(SOURCE)) {
      if (in == null) {
        throw new IllegalStateException("missing resource " + SOURCE);
      }
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private void setWeights(LlamaWeights weights, RotaryEmbedding rope) {
    NDManager manager = module.manager();
    NDArray noBias = manager.zeros(new Shape(0), weights.dataType());
    NDArray cos = rope.cosTable();
    NDArray sin = rope.sinTable();
    cos.attach(manager);
    sin.attach(manager);
    IValue[] layers = new IValue[weights.layers().size()];
    for (int i = 0; i < layers.length; i++) {
      LlamaWeights.Layer w = weights.layers().get(i);
      layers[i] = tensors(w.inputLayernorm(), w.qkvProj(), w.qkvProjBias() == null ? noBias : w.qkvProjBias(),
          w.oProj(), w.postAttentionLayernorm(), w.gateUpProj(), w.downProj());
    }
    try {
      module.call("set_weights", tensors(weights.embedTokens(), weights.norm(), weights.lmHead(), cos, sin),
          IValue.listFrom(layers));
    } finally {
      for (IValue layer : layers) {
        layer.close();
      }
    }
  }

  /**
   * One step over the batch: new keys and values written to their slots, attention through the
   * block tables, logits of the given sequences' last new tokens.
   *
   * @param ids the batch's token ids, checked against the vocabulary
   * @return fp32 logits [logitRows.length, vocab] on {@code step}
   */
  NDArray forward(BatchInput batch, long[] ids, PagedKvCache cache, long[] logitRows, NDManager step) {
    if (unoptimizedOn != Thread.currentThread()) {
      // PyTorch's profiling executor specializes the graph to the shapes it has seen and profiles again
      // when they change; batch shapes change every step, and each new one cost a ten-fold slower step.
      // The plain interpreter runs the same ops. The setting is per calling thread.
      JniUtils.setGraphExecutorOptimize(false);
      unoptimizedOn = Thread.currentThread();
    }
    bind(cache);
    int sequences = batch.numSequences();
    int widest = 0;
    for (int[] table : batch.blockTables()) {
      widest = Math.max(widest, table.length);
    }
    long[] tables = new long[sequences * widest];
    for (int s = 0; s < sequences; s++) {
      int[] table = batch.blockTables()[s];
      for (int b = 0; b < widest; b++) {
        // padding repeats a block of the sequence's own; its positions lie past the context and are masked
        tables[s * widest + b] = table[Math.min(b, table.length - 1)];
      }
    }
    IValue[] inputs = {
        tensor(step.create(ids)),
        tensor(step.create(toLongs(batch.positions()))),
        tensor(step.create(toLongs(batch.slotMapping()))),
        tensor(step.create(tables, new Shape(sequences, widest))),
        IValue.listFrom(toLongs(batch.contextLengths())),
        IValue.listFrom(toLongs(batch.queryLengths())),
        tensor(step.create(logitRows)),
    };
    try (IValue logits = module.run("forward", inputs)) {
      PtNDArray result = logits.toTensor((PtNDManager) step);
      return result.getDataType() == DataType.FLOAT32 ? result : result.toType(DataType.FLOAT32, false);
    }
  }

  /** Whether the decoder multiplies by packed copies of the projections (fp32 on CPU), not by the plain weights. */
  boolean packed() {
    return packed;
  }

  /** The cache's tensors are handed over once, and again only when the model is stepped over another cache. */
  private void bind(PagedKvCache cache) {
    if (cache == boundCache) {
      return;
    }
    module.call("set_cache", tensors(cache.layers()), IValue.from((long) cache.blockSize()));
    boundCache = cache;
  }

  private static IValue tensor(NDArray array) {
    return IValue.from((PtNDArray) array);
  }

  private static IValue tensors(NDArray... arrays) {
    List<PtNDArray> list = new ArrayList<>(arrays.length);
    for (NDArray array : arrays) {
      list.add((PtNDArray) array);
    }
    return IValue.listFrom(list.toArray(PtNDArray[]::new));
  }

  private static long[] toLongs(int[] values) {
    long[] longs = new long[values.length];
    for (int i = 0; i < values.length; i++) {
      longs[i] = values[i];
    }
    return longs;
  }

  @Override
  public void close() {
    module.close();
  }
}
