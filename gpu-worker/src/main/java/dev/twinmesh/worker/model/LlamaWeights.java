package dev.twinmesh.worker.model;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import dev.twinmesh.worker.checkpoint.CheckpointException;
import dev.twinmesh.worker.checkpoint.ModelConfig;
import dev.twinmesh.worker.checkpoint.TensorSource;
import java.nio.FloatBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;

/**
 * Every tensor of a Llama-family checkpoint (Llama 2/3.x, Mistral, Qwen2, SmolLM) on the device,
 * checked against the config. Field names follow the Hugging Face keys.
 */
public final class LlamaWeights implements AutoCloseable {

  /**
   * One decoder layer, {@code model.layers.N.*}. Biases are null unless attention_bias (Qwen2).
   *
   * <p>Every matrix keeps Hugging Face's [out, in] layout. The projections that read the same input are
   * fused while loading, q, k and v stacked in one [q+2kv, hidden] matrix and gate over up in one
   * [2*intermediate, hidden], so each is one product; the Hugging Face tensors are row views of the
   * fused ones, with no second copy. The decoder multiplies as W·xᵀ (see {@code twin_llama.torchscript}).
   */
  public record Layer(
      NDArray inputLayernorm,        // input_layernorm.weight            [hidden]
      NDArray qProj,                 // self_attn.q_proj.weight           [heads*headDim, hidden] (view)
      NDArray qProjBias,             // self_attn.q_proj.bias             [heads*headDim] or null (view)
      NDArray kProj,                 // self_attn.k_proj.weight           [kvHeads*headDim, hidden] (view)
      NDArray kProjBias,             // self_attn.k_proj.bias             [kvHeads*headDim] or null (view)
      NDArray vProj,                 // self_attn.v_proj.weight           [kvHeads*headDim, hidden] (view)
      NDArray vProjBias,             // self_attn.v_proj.bias             [kvHeads*headDim] or null (view)
      NDArray oProj,                 // self_attn.o_proj.weight           [hidden, heads*headDim]
      NDArray postAttentionLayernorm, // post_attention_layernorm.weight  [hidden]
      NDArray gateProj,              // mlp.gate_proj.weight              [intermediate, hidden] (view)
      NDArray upProj,                // mlp.up_proj.weight                [intermediate, hidden] (view)
      NDArray downProj,              // mlp.down_proj.weight              [hidden, intermediate]
      NDArray qkvProj,               // (q_proj; k_proj; v_proj)          [(heads+2*kvHeads)*headDim, hidden]
      NDArray qkvProjBias,           // their biases, or null             [(heads+2*kvHeads)*headDim]
      NDArray gateUpProj) {          // (gate_proj; up_proj)              [2*intermediate, hidden]

    /** Fuses the projections that read the same input and views the Hugging Face tensors in them. */
    static Layer fuse(NDManager manager, NDArray inputLayernorm, NDArray qProj, NDArray qProjBias, NDArray kProj,
                      NDArray kProjBias, NDArray vProj, NDArray vProjBias, NDArray oProj,
                      NDArray postAttentionLayernorm, NDArray gateProj, NDArray upProj, NDArray downProj) {
      long q = qProj.getShape().get(0);
      long kv = kProj.getShape().get(0);
      long inter = gateProj.getShape().get(0);
      NDArray qkv = stack(manager, qProj, kProj, vProj);
      NDArray qkvBias = qProjBias == null ? null : stack(manager, qProjBias, kProjBias, vProjBias);
      NDArray gateUp = stack(manager, gateProj, upProj);
      return new Layer(inputLayernorm,
          rows(manager, qkv, 0, q), qkvBias == null ? null : rows(manager, qkvBias, 0, q),
          rows(manager, qkv, q, q + kv), qkvBias == null ? null : rows(manager, qkvBias, q, q + kv),
          rows(manager, qkv, q + kv, q + 2 * kv), qkvBias == null ? null : rows(manager, qkvBias, q + kv, q + 2 * kv),
          oProj, postAttentionLayernorm,
          rows(manager, gateUp, 0, inter), rows(manager, gateUp, inter, 2 * inter), downProj,
          qkv, qkvBias, gateUp);
    }

    /** Concatenated along rows; the parts are freed. */
    private static NDArray stack(NDManager manager, NDArray... parts) {
      NDArray whole = NDArrays.concat(new NDList(parts), 0);
      whole.attach(manager);
      for (NDArray part : parts) {
        part.close();
      }
      return whole;
    }

    /** Rows [from, to) as a view sharing the fused tensor's storage. */
    private static NDArray rows(NDManager manager, NDArray whole, long from, long to) {
      return whole.get(manager, new NDIndex("{}:{}", from, to));
    }
  }

  /** Architectures whose checkpoints have exactly this tensor layout (SmolLM ships as LlamaForCausalLM). */
  public static final Set<String> ARCHITECTURES = Set.of("LlamaForCausalLM", "MistralForCausalLM", "Qwen2ForCausalLM");

  /** Larger tensors are staged in row chunks: DJL's buffer copy overflows past 2 GiB. */
  private static final long STAGING_BYTES = 256L << 20;

  private final NDManager manager;
  private final NDArray embedTokens; // model.embed_tokens.weight [vocab, hidden]
  private final List<Layer> layers;
  private final NDArray norm;        // model.norm.weight         [hidden]
  private final NDArray lmHead;      // lm_head.weight            [vocab, hidden]; embedTokens itself when tied

  private LlamaWeights(NDManager manager, NDArray embedTokens, List<Layer> layers, NDArray norm, NDArray lmHead) {
    this.manager = manager;
    this.embedTokens = embedTokens;
    this.layers = List.copyOf(layers);
    this.norm = norm;
    this.lmHead = lmHead;
  }

  /**
   * Reads every tensor from {@code source} onto {@code manager}'s device as {@code type}.
   *
   * @param origin where the checkpoint came from, for error messages
   * @throws CheckpointException naming the tensor when one is missing, misshapen or not used
   */
  public static LlamaWeights load(Path origin, TensorSource source, ModelConfig config,
                                  NDManager manager, DataType type) {
    return load(origin, source, config, manager, type, STAGING_BYTES);
  }

  static LlamaWeights load(Path origin, TensorSource source, ModelConfig config, NDManager manager,
                           DataType type, long stagingBytes) {
    checkConfig(origin, config);
    NDManager owned = manager.newSubManager();
    try {
      Loader loader = new Loader(origin, source, owned, type, stagingBytes);
      long hidden = config.hiddenSize();
      long q = (long) config.numAttentionHeads() * config.headDim();
      long kv = (long) config.numKeyValueHeads() * config.headDim();
      long inter = config.intermediateSize();
      long vocab = config.vocabSize();

      NDArray embedTokens = loader.load("model.embed_tokens.weight", vocab, hidden);
      List<Layer> layers = new ArrayList<>();
      for (int i = 0; i < config.numHiddenLayers(); i++) {
        String p = "model.layers." + i + ".";
        boolean bias = config.attentionBias();
        layers.add(Layer.fuse(owned,
            loader.load(p + "input_layernorm.weight", hidden),
            loader.load(p + "self_attn.q_proj.weight", q, hidden),
            bias ? loader.load(p + "self_attn.q_proj.bias", q) : null,
            loader.load(p + "self_attn.k_proj.weight", kv, hidden),
            bias ? loader.load(p + "self_attn.k_proj.bias", kv) : null,
            loader.load(p + "self_attn.v_proj.weight", kv, hidden),
            bias ? loader.load(p + "self_attn.v_proj.bias", kv) : null,
            loader.load(p + "self_attn.o_proj.weight", hidden, q),
            loader.load(p + "post_attention_layernorm.weight", hidden),
            loader.load(p + "mlp.gate_proj.weight", inter, hidden),
            loader.load(p + "mlp.up_proj.weight", inter, hidden),
            loader.load(p + "mlp.down_proj.weight", hidden, inter)));
      }
      NDArray norm = loader.load("model.norm.weight", hidden);
      NDArray lmHead;
      if (config.tieWordEmbeddings()) {
        // Tied checkpoints may still carry a copy of lm_head; the embedding is the one that counts.
        loader.skip("lm_head.weight");
        lmHead = embedTokens;
      } else {
        lmHead = loader.load("lm_head.weight", vocab, hidden);
      }
      loader.checkAllUsed();
      return new LlamaWeights(owned, embedTokens, layers, norm, lmHead);
    } catch (RuntimeException e) {
      owned.close();
      throw e;
    }
  }

  private static void checkConfig(Path origin, ModelConfig c) {
    if (c.architecture() != null && !ARCHITECTURES.contains(c.architecture())) {
      throw new CheckpointException(origin, "architecture " + c.architecture() + " is not supported (supported: "
          + new TreeSet<>(ARCHITECTURES) + ")");
    }
    if (c.numKeyValueHeads() <= 0 || c.numAttentionHeads() % c.numKeyValueHeads() != 0) {
      throw new CheckpointException(origin, "num_attention_heads " + c.numAttentionHeads()
          + " is not a multiple of num_key_value_heads " + c.numKeyValueHeads());
    }
    if (c.headDim() <= 0 || c.headDim() % 2 != 0) {
      throw new CheckpointException(origin, "head_dim must be even for rotary embeddings, got " + c.headDim());
    }
  }

  public NDArray embedTokens() {
    return embedTokens;
  }

  public List<Layer> layers() {
    return layers;
  }

  public NDArray norm() {
    return norm;
  }

  /** lm_head.weight [vocab, hidden]: the embedding itself when the checkpoint ties them. */
  public NDArray lmHead() {
    return lmHead;
  }

  public DataType dataType() {
    return embedTokens.getDataType();
  }

  public Device device() {
    return embedTokens.getDevice();
  }

  /**
   * Frees the projection matrices (q, k, v, o, gate, up, down, and lm_head unless it is the embedding)
   * for a decoder that multiplies by copies of its own. The norms, biases and embedding stay; so do
   * the closed arrays in {@link #layers()}, which must not be read again.
   */
  void closeProjections() {
    for (Layer layer : layers) {
      for (NDArray matrix : List.of(layer.qProj(), layer.kProj(), layer.vProj(), layer.qkvProj(), layer.oProj(),
          layer.gateProj(), layer.upProj(), layer.gateUpProj(), layer.downProj())) {
        matrix.close(); // views and the fused matrix alike: the storage goes when its last handle does
      }
    }
    if (lmHead != embedTokens) {
      lmHead.close();
    }
  }

  @Override
  public void close() {
    manager.close();
  }

  /** Moves tensors from the source to the device and remembers which names were used. */
  private static final class Loader {
    private final Path origin;
    private final TensorSource source;
    private final NDManager target;
    private final DataType type;
    private final long stagingBytes;
    private final Set<String> used = new HashSet<>();

    Loader(Path origin, TensorSource source, NDManager target, DataType type, long stagingBytes) {
      this.origin = origin;
      this.source = source;
      this.target = target;
      this.type = type;
      this.stagingBytes = stagingBytes;
    }

    NDArray load(String name, long... expected) {
      if (!source.has(name)) {
        throw new CheckpointException(origin, "missing tensor " + name + " (expected shape "
            + Arrays.toString(expected) + ")");
      }
      long[] actual = source.shape(name);
      if (!Arrays.equals(actual, expected)) {
        throw new CheckpointException(origin, "tensor " + name + " has shape " + Arrays.toString(actual)
            + " but the config expects " + Arrays.toString(expected));
      }
      used.add(name);
      FloatBuffer data = source.readFloat32(name).slice();
      Shape shape = new Shape(expected);
      if (data.remaining() != shape.size()) {
        throw new CheckpointException(origin, "tensor " + name + " holds " + data.remaining()
            + " values but its shape " + Arrays.toString(expected) + " needs " + shape.size());
      }
      return place(data, shape);
    }

    void skip(String name) {
      used.add(name);
    }

    /** Converts on the CPU first, so only the final dtype crosses to the GPU. */
    private NDArray place(FloatBuffer data, Shape shape) {
      long rows = shape.get(0);
      long rowFloats = shape.size() / rows;
      long rowsPerChunk = Math.max(1, stagingBytes / (rowFloats * Float.BYTES));
      try (NDManager staging = NDManager.newBaseManager(Device.cpu(), DjlRuntime.ENGINE)) {
        NDList chunks = new NDList();
        for (long row = 0; row < rows; row += rowsPerChunk) {
          long count = Math.min(rowsPerChunk, rows - row);
          FloatBuffer slice = data.duplicate()
              .position(Math.toIntExact(row * rowFloats))
              .limit(Math.toIntExact((row + count) * rowFloats))
              .slice();
          long[] chunkShape = shape.getShape().clone();
          chunkShape[0] = count;
          NDArray staged = staging.create(slice, new Shape(chunkShape), DataType.FLOAT32);
          NDArray chunk = staged.toType(type, false).toDevice(target.getDevice(), false);
          if (chunk == staged) {
            // A CPU tensor made from a buffer lives in that direct buffer, which counts against the
            // JVM's direct-memory cap (the heap size by default); a clone lives in PyTorch's memory.
            chunk = staged.duplicate();
          }
          chunks.add(chunk);
        }
        NDArray whole = chunks.size() == 1 ? chunks.get(0) : NDArrays.concat(chunks, 0);
        whole.attach(target);
        return whole;
      }
    }

    /** An unused tensor means the config and the checkpoint disagree (e.g. biases without attention_bias). */
    void checkAllUsed() {
      Set<String> unused = new TreeSet<>(source.names());
      unused.removeAll(used);
      // Old Llama checkpoints store the rotary frequencies; they are recomputed from the config.
      unused.removeIf(name -> name.endsWith("rotary_emb.inv_freq"));
      if (!unused.isEmpty()) {
        throw new CheckpointException(origin, "tensors not used by the Llama architecture "
            + "(does config.json match the weights?): " + unused);
      }
    }
  }
}
