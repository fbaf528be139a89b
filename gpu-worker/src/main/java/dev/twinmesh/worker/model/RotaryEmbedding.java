package dev.twinmesh.worker.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import dev.twinmesh.worker.checkpoint.ModelConfig;
import dev.twinmesh.worker.checkpoint.ModelConfig.RopeScaling;
import java.util.Locale;

/**
 * Rotary position embeddings in Hugging Face's layout: dimension i of the first half of a head
 * pairs with dimension i of the second half ("rotate_half"), which is how HF Llama checkpoints
 * order their q/k projection rows.
 */
public final class RotaryEmbedding implements AutoCloseable {

  /**
   * Angles for the positions of one forward call, laid out against a head split into its two halves
   * [2, headDim/2]: cos for both halves, and sin negated for the first half (rotate_half's sign).
   */
  public record Angles(NDArray cos, NDArray sin) {} // each [T, 1, 2, headDim/2]

  private final NDManager manager;
  private final int maxPositions;
  private final NDArray cos;      // [maxPositions, 2, headDim/2]: cos, cos
  private final NDArray sin;      // [maxPositions, 2, headDim/2]: -sin, sin
  private final int half;

  private RotaryEmbedding(NDManager manager, int maxPositions, NDArray cos, NDArray sin, int headDim) {
    this.manager = manager;
    this.maxPositions = maxPositions;
    this.cos = cos;
    this.sin = sin;
    this.half = headDim / 2;
  }

  /** Tables for positions [0, maxPositions), computed in double and stored as {@code type}. */
  public static RotaryEmbedding create(ModelConfig config, int maxPositions, NDManager parent, DataType type) {
    int half = config.headDim() / 2;
    double[] inverse = inverseFrequencies(config.headDim(), config.ropeTheta(), config.ropeScaling());
    float[] cos = new float[maxPositions * 2 * half];
    float[] sin = new float[maxPositions * 2 * half];
    for (int pos = 0; pos < maxPositions; pos++) {
      for (int i = 0; i < half; i++) {
        double angle = pos * inverse[i];
        int first = pos * 2 * half + i;
        cos[first] = (float) Math.cos(angle);
        cos[first + half] = cos[first];
        sin[first] = (float) -Math.sin(angle);
        sin[first + half] = (float) Math.sin(angle);
      }
    }
    NDManager manager = parent.newSubManager();
    Shape shape = new Shape(maxPositions, 2, half);
    return new RotaryEmbedding(manager, maxPositions,
        manager.create(cos, shape).toType(type, false),
        manager.create(sin, shape).toType(type, false),
        config.headDim());
  }

  /** theta^(-2i/headDim), rescaled when the config carries rope_scaling. */
  public static double[] inverseFrequencies(int headDim, double theta, RopeScaling scaling) {
    double[] inverse = new double[headDim / 2];
    for (int i = 0; i < inverse.length; i++) {
      inverse[i] = 1.0 / Math.pow(theta, (2.0 * i) / headDim);
    }
    if (scaling == null || scaling.type() == null) {
      return inverse;
    }
    switch (scaling.type().toLowerCase(Locale.ROOT)) {
      case "default" -> { }
      case "linear" -> scaleLinear(inverse, scaling.factor());
      case "llama3" -> scaleLlama3(inverse, scaling);
      default -> throw new IllegalArgumentException("rope_scaling type '" + scaling.type()
          + "' is not supported (supported: llama3, linear)");
    }
    return inverse;
  }

  /** Position interpolation: every frequency slows down by the same factor. */
  private static void scaleLinear(double[] inverse, double factor) {
    for (int i = 0; i < inverse.length; i++) {
      inverse[i] /= factor;
    }
  }

  /**
   * Llama 3.1: long wavelengths (beyond the original context / low_freq_factor) are slowed by
   * the factor, short ones (below original context / high_freq_factor) are kept, and the band in
   * between blends the two linearly in original-context / wavelength.
   */
  private static void scaleLlama3(double[] inverse, RopeScaling s) {
    double original = s.originalMaxPositionEmbeddings();
    double lowFreqWavelength = original / s.lowFreqFactor();
    double highFreqWavelength = original / s.highFreqFactor();
    for (int i = 0; i < inverse.length; i++) {
      double wavelength = 2 * Math.PI / inverse[i];
      if (wavelength > lowFreqWavelength) {
        inverse[i] = inverse[i] / s.factor();
      } else if (wavelength >= highFreqWavelength) {
        double smooth = (original / wavelength - s.lowFreqFactor()) / (s.highFreqFactor() - s.lowFreqFactor());
        inverse[i] = (1 - smooth) * inverse[i] / s.factor() + smooth * inverse[i];
      }
    }
  }

  /** The cos table as [maxPositions, headDim], both halves of a head side by side. */
  NDArray cosTable() {
    return cos.reshape(maxPositions, 2L * half);
  }

  /** The sin table as [maxPositions, headDim], rotate_half's sign folded into the first half. */
  NDArray sinTable() {
    return sin.reshape(maxPositions, 2L * half);
  }

  public int maxPositions() {
    return maxPositions;
  }

  /** cos/sin rows for the given positions, on {@code step}. */
  public Angles angles(NDManager step, long[] positions) {
    for (long p : positions) {
      if (p < 0 || p >= maxPositions) {
        throw new IllegalArgumentException("position " + p + " outside the rotary table [0, " + maxPositions + ")");
      }
    }
    NDIndex rows = new NDIndex("{}", step.create(positions));
    long t = positions.length;
    return new Angles(cos.get(step, rows).reshape(t, 1, 2, half), sin.get(step, rows).reshape(t, 1, 2, half));
  }

  /**
   * Rotates each (first-half, second-half) pair of x [T, heads, headDim] by its position's angle:
   * x*cos + rotate_half(x)*sin, where rotate_half(x) = (-x2, x1) is the halves swapped (a flip)
   * times the sign folded into the sin table. Four ops for any number of heads.
   */
  public NDArray rotate(NDArray x, Angles angles) {
    long t = x.getShape().get(0);
    long heads = x.getShape().get(1);
    NDArray halves = x.reshape(t, heads, 2, half);                                     // [T, heads, 2, headDim/2]
    return halves.mul(angles.cos()).add(halves.flip(2).mul(angles.sin())).reshape(t, heads, 2L * half);
  }

  @Override
  public void close() {
    manager.close();
  }
}
