package dev.twinmesh.worker.model;

import dev.twinmesh.worker.checkpoint.ModelConfig;
import dev.twinmesh.worker.checkpoint.TensorSource;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;

/** Named fp32 tensors held on the heap, with random Llama weights for a config. */
final class InMemoryTensorSource implements TensorSource {

  private final Map<String, float[]> data = new LinkedHashMap<>();
  private final Map<String, long[]> shapes = new LinkedHashMap<>();

  /**
   * Weights large enough that attention is far from uniform and rotary angles move the result:
   * matrices with std 0.2, embeddings std 1, norms in [0.5, 1.5], biases std 0.5.
   */
  static InMemoryTensorSource random(ModelConfig c, long seed) {
    SplittableRandom random = new SplittableRandom(seed);
    InMemoryTensorSource source = new InMemoryTensorSource();
    int hidden = c.hiddenSize();
    int q = c.numAttentionHeads() * c.headDim();
    int kv = c.numKeyValueHeads() * c.headDim();
    int inter = c.intermediateSize();
    source.gaussian(random, "model.embed_tokens.weight", 1.0, c.vocabSize(), hidden);
    for (int i = 0; i < c.numHiddenLayers(); i++) {
      String p = "model.layers." + i + ".";
      source.norm(random, p + "input_layernorm.weight", hidden);
      source.gaussian(random, p + "self_attn.q_proj.weight", 0.2, q, hidden);
      source.gaussian(random, p + "self_attn.k_proj.weight", 0.2, kv, hidden);
      source.gaussian(random, p + "self_attn.v_proj.weight", 0.2, kv, hidden);
      if (c.attentionBias()) {
        source.gaussian(random, p + "self_attn.q_proj.bias", 0.5, q);
        source.gaussian(random, p + "self_attn.k_proj.bias", 0.5, kv);
        source.gaussian(random, p + "self_attn.v_proj.bias", 0.5, kv);
      }
      source.gaussian(random, p + "self_attn.o_proj.weight", 0.2, hidden, q);
      source.norm(random, p + "post_attention_layernorm.weight", hidden);
      source.gaussian(random, p + "mlp.gate_proj.weight", 0.2, inter, hidden);
      source.gaussian(random, p + "mlp.up_proj.weight", 0.2, inter, hidden);
      source.gaussian(random, p + "mlp.down_proj.weight", 0.2, hidden, inter);
    }
    source.norm(random, "model.norm.weight", hidden);
    if (!c.tieWordEmbeddings()) {
      source.gaussian(random, "lm_head.weight", 0.2, c.vocabSize(), hidden);
    }
    return source;
  }

  void put(String name, float[] values, long... shape) {
    if (Arrays.stream(shape).reduce(1, (a, b) -> a * b) != values.length) {
      throw new IllegalArgumentException(name + ": " + values.length + " values for shape " + Arrays.toString(shape));
    }
    data.put(name, values);
    shapes.put(name, shape.clone());
  }

  void remove(String name) {
    data.remove(name);
    shapes.remove(name);
  }

  float[] get(String name) {
    float[] values = data.get(name);
    if (values == null) {
      throw new IllegalArgumentException("no tensor " + name);
    }
    return values;
  }

  private void gaussian(SplittableRandom random, String name, double std, long... shape) {
    float[] values = new float[(int) Arrays.stream(shape).reduce(1, (a, b) -> a * b)];
    for (int i = 0; i < values.length; i++) {
      values[i] = (float) (gaussian(random) * std);
    }
    put(name, values, shape);
  }

  private void norm(SplittableRandom random, String name, int size) {
    float[] values = new float[size];
    for (int i = 0; i < size; i++) {
      values[i] = (float) (0.5 + random.nextDouble());
    }
    put(name, values, size);
  }

  private static double gaussian(SplittableRandom random) {
    // Box-Muller: SplittableRandom has no nextGaussian on Java 17.
    double u = 1.0 - random.nextDouble();
    double v = random.nextDouble();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
  }

  @Override
  public Set<String> names() {
    return Set.copyOf(data.keySet());
  }

  @Override
  public boolean has(String name) {
    return data.containsKey(name);
  }

  @Override
  public long[] shape(String name) {
    return shapes.get(name).clone();
  }

  @Override
  public String dtype(String name) {
    return "F32";
  }

  @Override
  public FloatBuffer readFloat32(String name) {
    float[] values = get(name);
    FloatBuffer buffer = ByteBuffer.allocateDirect(values.length * Float.BYTES)
        .order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer();
    buffer.put(values).flip();
    return buffer;
  }

  @Override
  public void close() {}
}
