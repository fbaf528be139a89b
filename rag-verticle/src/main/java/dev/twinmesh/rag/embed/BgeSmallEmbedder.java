package dev.twinmesh.rag.embed;

import ai.djl.engine.Engine;
import ai.djl.huggingface.tokenizers.Encoding;
import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import ai.djl.huggingface.tokenizers.jni.CharSpan;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.FloatBuffer;
import java.nio.LongBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.locks.ReentrantReadWriteLock;

/**
 * BAAI's bge-small-en-v1.5 (384 dimensions, compared by cosine), run offline on ONNX Runtime from the model and
 * tokenizer that a langchain4j embeddings jar carries: int8 by default, fp32 on request ({@link BgeSmallModel}).
 * The sentence vector is the [CLS] token's last hidden state, normalised to unit length, as the model card says.
 */
public final class BgeSmallEmbedder implements Embedder {
  public static final int DIMENSION = 384;
  public static final int MAX_TOKENS = 512;

  private static final int BATCH_SIZE = 16;
  /**
   * Padded tokens per model run. Short texts (questions, their variants) go many at a time; 512-token chunks go
   * one at a time, which cost about 20% less CPU per chunk here than batches of 16 (fp32: 190-206 against 246-250 ms;
   * int8: a batch of four 512-token chunks took 87 ms a chunk against 63-70 ms alone).
   */
  private static final int BATCH_TOKENS = 512;

  private final BgeSmallModel model;
  private final OrtEnvironment env;
  private final OrtSession session;
  private final ReentrantReadWriteLock lifecycle = new ReentrantReadWriteLock();
  private volatile boolean closed;
  private final HuggingFaceTokenizer modelTokenizer;
  private final HuggingFaceTokenizer spanTokenizer;
  private final boolean needsTypeIds;

  private BgeSmallEmbedder(BgeSmallModel model, OrtEnvironment env, OrtSession session,
                           HuggingFaceTokenizer modelTokenizer, HuggingFaceTokenizer spanTokenizer) {
    this.model = model;
    this.env = env;
    this.session = session;
    this.modelTokenizer = modelTokenizer;
    this.spanTokenizer = spanTokenizer;
    this.needsTypeIds = session.getInputNames().contains("token_type_ids");
  }

  /**
   * Loads the model from the classpath and runs it once: about a second, no network. {@code threads} caps ONNX
   * Runtime's intra-op threads.
   */
  public static BgeSmallEmbedder load(BgeSmallModel model, int threads) {
    // DJL's ONNX Runtime engine creates the process-wide OrtEnvironment with its settings: it must come first.
    Engine.getEngine("OnnxRuntime");
    OrtEnvironment env = OrtEnvironment.getEnvironment();
    byte[] tokenizerJson = readResource(model.tokenizerResource(), model);
    try (OrtSession.SessionOptions options = new OrtSession.SessionOptions()) {
      options.setIntraOpNumThreads(Math.max(1, threads));
      options.setOptimizationLevel(OrtSession.SessionOptions.OptLevel.ALL_OPT);
      // Idle intra-op threads sleep instead of spinning: on cores shared with the event loops, the worker and
      // other pods, spinning cost 2 to 4 times the wall time and 1.5 to 2 times the CPU of a 512-token chunk here.
      options.addConfigEntry("session.intra_op.allow_spinning", "0");
      OrtSession session = env.createSession(readResource(model.modelResource(), model), options);
      BgeSmallEmbedder embedder = new BgeSmallEmbedder(model, env, session,
          tokenizer(tokenizerJson, Map.of("truncation", "true", "maxLength", String.valueOf(MAX_TOKENS),
              "padding", "false", "addSpecialTokens", "true")),
          tokenizer(tokenizerJson, Map.of("truncation", "false", "padding", "false", "addSpecialTokens", "false")));
      try {
        embedder.warmUp();
      } catch (RuntimeException e) {
        embedder.close();
        throw e;
      }
      return embedder;
    } catch (OrtException e) {
      throw new IllegalStateException("cannot load the " + model.displayName() + " ONNX model: " + e.getMessage(), e);
    }
  }

  /** {@code model} on as many intra-op threads as there are cores, up to 4. */
  public static BgeSmallEmbedder load(BgeSmallModel model) {
    return load(model, Math.min(4, Runtime.getRuntime().availableProcessors()));
  }

  /** The default model, {@link BgeSmallModel#INT8}. */
  public static BgeSmallEmbedder load() {
    return load(BgeSmallModel.INT8);
  }

  /**
   * The first runs of a session pay for kernel selection and buffer allocation (tens of milliseconds here): pay
   * them while loading, at a question's length and at a full chunk's, rather than in the first retrieval.
   */
  private void warmUp() {
    embedOpen(List.of("warm-up", "warm-up ".repeat(MAX_TOKENS)));
  }

  @Override
  public String modelName() {
    return model.displayName();
  }

  @Override
  public int dimension() {
    return DIMENSION;
  }

  @Override
  public int maxTokens() {
    return MAX_TOKENS;
  }

  /**
   * Embeds on any number of threads at once. Holds the read side of {@link #lifecycle} so that
   * {@link #close()} waits for runs in flight: freeing the native session under a running one crashes the JVM.
   */
  @Override
  public List<float[]> embed(List<String> texts) {
    lifecycle.readLock().lock();
    try {
      if (closed) {
        throw new IllegalStateException("the embedder is closed");
      }
      return embedOpen(texts);
    } finally {
      lifecycle.readLock().unlock();
    }
  }

  private List<float[]> embedOpen(List<String> texts) {
    float[][] vectors = new float[texts.size()][];
    // Batches of similar length waste little on padding.
    Integer[] order = new Integer[texts.size()];
    Encoding[] encodings = new Encoding[texts.size()];
    for (int i = 0; i < texts.size(); i++) {
      order[i] = i;
      encodings[i] = modelTokenizer.encode(texts.get(i));
    }
    Arrays.sort(order, Comparator.comparingInt(i -> encodings[i].getIds().length));
    for (int from = 0; from < order.length; ) {
      int to = from + 1;
      // texts are sorted by length, so the last one sets the padded length of the batch
      while (to < order.length && to - from < BATCH_SIZE
          && (to - from + 1) * encodings[order[to]].getIds().length <= BATCH_TOKENS) {
        to++;
      }
      Integer[] batch = Arrays.copyOfRange(order, from, to);
      float[][] out = runBatch(batch, encodings);
      for (int b = 0; b < batch.length; b++) {
        vectors[batch[b]] = out[b];
      }
      from = to;
    }
    return Arrays.asList(vectors);
  }

  private float[][] runBatch(Integer[] batch, Encoding[] encodings) {
    int length = 0;
    for (int i : batch) {
      length = Math.max(length, encodings[i].getIds().length);
    }
    long[] ids = new long[batch.length * length];
    long[] mask = new long[batch.length * length];
    for (int b = 0; b < batch.length; b++) {
      long[] tokenIds = encodings[batch[b]].getIds();
      System.arraycopy(tokenIds, 0, ids, b * length, tokenIds.length);
      Arrays.fill(mask, b * length, b * length + tokenIds.length, 1L);
    }
    long[] shape = {batch.length, length};
    Map<String, OnnxTensor> inputs = new HashMap<>();
    try {
      inputs.put("input_ids", OnnxTensor.createTensor(env, LongBuffer.wrap(ids), shape));
      inputs.put("attention_mask", OnnxTensor.createTensor(env, LongBuffer.wrap(mask), shape));
      if (needsTypeIds) {
        inputs.put("token_type_ids", OnnxTensor.createTensor(env, LongBuffer.wrap(new long[ids.length]), shape));
      }
      try (OrtSession.Result result = session.run(inputs)) {
        // [batch, seq, 384], read flat: only the [CLS] rows are kept, so no Java array per token is built
        FloatBuffer hidden = ((OnnxTensor) result.get(0)).getFloatBuffer();
        float[][] out = new float[batch.length][];
        for (int b = 0; b < batch.length; b++) {
          float[] cls = new float[DIMENSION];
          hidden.get(b * length * DIMENSION, cls);
          out[b] = normalize(cls);
        }
        return out;
      }
    } catch (OrtException e) {
      throw new IllegalStateException("embedding failed: " + e.getMessage(), e);
    } finally {
      inputs.values().forEach(OnnxTensor::close);
    }
  }

  /** Scales {@code v} to unit length in place. */
  private static float[] normalize(float[] v) {
    double norm = 0;
    for (float x : v) {
      norm += x * x;
    }
    float scale = norm == 0 ? 0f : (float) (1.0 / Math.sqrt(norm));
    for (int i = 0; i < v.length; i++) {
      v[i] *= scale;
    }
    return v;
  }

  @Override
  public List<TokenSpan> tokenSpans(String text) {
    if (text.isEmpty()) {
      return List.of();
    }
    CharSpan[] spans;
    lifecycle.readLock().lock();
    try {
      if (closed) {
        throw new IllegalStateException("the embedder is closed");
      }
      spans = spanTokenizer.encode(text, false, false).getCharTokenSpans();
    } finally {
      lifecycle.readLock().unlock();
    }
    List<TokenSpan> out = new ArrayList<>(spans.length);
    for (CharSpan span : spans) {
      if (span != null) {
        out.add(new TokenSpan(span.getStart(), span.getEnd()));
      }
    }
    return out;
  }

  @Override
  public void close() {
    lifecycle.writeLock().lock();
    try {
      if (closed) {
        return;
      }
      closed = true;
    } finally {
      lifecycle.writeLock().unlock();
    }
    try {
      session.close();
    } catch (OrtException e) {
      // closing only frees native memory; nothing to recover
    }
    modelTokenizer.close();
    spanTokenizer.close();
  }

  private static HuggingFaceTokenizer tokenizer(byte[] json, Map<String, String> options) {
    try {
      return HuggingFaceTokenizer.newInstance(new ByteArrayInputStream(json), options);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read the bge-small-en-v1.5 tokenizer", e);
    }
  }

  private static byte[] readResource(String name, BgeSmallModel model) {
    try (InputStream in = BgeSmallEmbedder.class.getResourceAsStream(name)) {
      if (in == null) {
        throw new IllegalStateException(name + " is not on the classpath: add " + model.carrierJar());
      }
      return in.readAllBytes();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + name, e);
    }
  }
}
