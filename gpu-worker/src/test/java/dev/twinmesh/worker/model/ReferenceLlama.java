package dev.twinmesh.worker.model;

import dev.twinmesh.worker.checkpoint.ModelConfig;

/**
 * A deliberately naive Llama in double precision, written from the math and sharing no code with
 * {@link LlamaModel}: full causal attention recomputed for every position, no cache, loops only.
 */
final class ReferenceLlama {

  private final ModelConfig c;
  private final InMemoryTensorSource w;
  private final double[] inverseFrequency;

  /** @param scaleRope apply the config's llama3 rope scaling (false ignores it, to show it matters) */
  ReferenceLlama(ModelConfig config, InMemoryTensorSource weights, boolean scaleRope) {
    this.c = config;
    this.w = weights;
    this.inverseFrequency = frequencies(config, scaleRope);
  }

  private static double[] frequencies(ModelConfig c, boolean scaleRope) {
    int d = c.headDim();
    double[] f = new double[d / 2];
    for (int i = 0; i < d / 2; i++) {
      double base = Math.pow(c.ropeTheta(), -2.0 * i / d);
      f[i] = base;
      if (scaleRope && c.ropeScaling() != null) {
        ModelConfig.RopeScaling s = c.ropeScaling();
        double wavelength = 2 * Math.PI / base;
        double highLimit = s.originalMaxPositionEmbeddings() / s.highFreqFactor();
        double lowLimit = s.originalMaxPositionEmbeddings() / s.lowFreqFactor();
        if (wavelength < highLimit) {
          f[i] = base;
        } else if (wavelength > lowLimit) {
          f[i] = base / s.factor();
        } else {
          double ratio = s.originalMaxPositionEmbeddings() / wavelength;
          double alpha = (ratio - s.lowFreqFactor()) / (s.highFreqFactor() - s.lowFreqFactor());
          f[i] = alpha * base + (1 - alpha) * base / s.factor();
        }
      }
    }
    return f;
  }

  /** Logits [T][vocab] for every position of the prompt. */
  double[][] logits(int[] tokens) {
    int t = tokens.length;
    int hidden = c.hiddenSize();
    int d = c.headDim();
    int nq = c.numAttentionHeads();
    int nkv = c.numKeyValueHeads();
    double[][] x = new double[t][hidden];
    float[] embed = w.get("model.embed_tokens.weight");
    for (int p = 0; p < t; p++) {
      for (int j = 0; j < hidden; j++) {
        x[p][j] = embed[tokens[p] * hidden + j];
      }
    }
    for (int layer = 0; layer < c.numHiddenLayers(); layer++) {
      String pre = "model.layers." + layer + ".";
      double[][] q = new double[t][];
      double[][] k = new double[t][];
      double[][] v = new double[t][];
      for (int p = 0; p < t; p++) {
        double[] h = rmsNorm(x[p], w.get(pre + "input_layernorm.weight"));
        q[p] = rope(project(h, pre + "self_attn.q_proj", nq * d), p, nq);
        k[p] = rope(project(h, pre + "self_attn.k_proj", nkv * d), p, nkv);
        v[p] = project(h, pre + "self_attn.v_proj", nkv * d);
      }
      double[][] attended = new double[t][nq * d];
      for (int p = 0; p < t; p++) {
        for (int head = 0; head < nq; head++) {
          int kvHead = head / (nq / nkv);
          double[] score = new double[p + 1];
          double max = Double.NEGATIVE_INFINITY;
          for (int s = 0; s <= p; s++) {
            double dot = 0;
            for (int i = 0; i < d; i++) {
              dot += q[p][head * d + i] * k[s][kvHead * d + i];
            }
            score[s] = dot / Math.sqrt(d);
            max = Math.max(max, score[s]);
          }
          double sum = 0;
          for (int s = 0; s <= p; s++) {
            score[s] = Math.exp(score[s] - max);
            sum += score[s];
          }
          for (int s = 0; s <= p; s++) {
            for (int i = 0; i < d; i++) {
              attended[p][head * d + i] += score[s] / sum * v[s][kvHead * d + i];
            }
          }
        }
      }
      for (int p = 0; p < t; p++) {
        double[] o = matVec(w.get(pre + "self_attn.o_proj.weight"), attended[p], hidden);
        for (int j = 0; j < hidden; j++) {
          x[p][j] += o[j];
        }
        double[] h = rmsNorm(x[p], w.get(pre + "post_attention_layernorm.weight"));
        double[] gate = matVec(w.get(pre + "mlp.gate_proj.weight"), h, c.intermediateSize());
        double[] up = matVec(w.get(pre + "mlp.up_proj.weight"), h, c.intermediateSize());
        double[] act = new double[gate.length];
        for (int i = 0; i < act.length; i++) {
          act[i] = gate[i] / (1 + Math.exp(-gate[i])) * up[i];
        }
        double[] down = matVec(w.get(pre + "mlp.down_proj.weight"), act, hidden);
        for (int j = 0; j < hidden; j++) {
          x[p][j] += down[j];
        }
      }
    }
    float[] head = c.tieWordEmbeddings() ? embed : w.get("lm_head.weight");
    double[][] logits = new double[t][];
    for (int p = 0; p < t; p++) {
      logits[p] = matVec(head, rmsNorm(x[p], w.get("model.norm.weight")), c.vocabSize());
    }
    return logits;
  }

  private double[] project(double[] h, String prefix, int out) {
    double[] y = matVec(w.get(prefix + ".weight"), h, out);
    if (c.attentionBias()) {
      float[] bias = w.get(prefix + ".bias");
      for (int i = 0; i < out; i++) {
        y[i] += bias[i];
      }
    }
    return y;
  }

  /** Pairs (i, i + d/2) of each head turn by position * frequency_i. */
  private double[] rope(double[] vec, int position, int heads) {
    int d = c.headDim();
    double[] out = vec.clone();
    for (int head = 0; head < heads; head++) {
      for (int i = 0; i < d / 2; i++) {
        double angle = position * inverseFrequency[i];
        double a = vec[head * d + i];
        double b = vec[head * d + i + d / 2];
        out[head * d + i] = a * Math.cos(angle) - b * Math.sin(angle);
        out[head * d + i + d / 2] = b * Math.cos(angle) + a * Math.sin(angle);
      }
    }
    return out;
  }

  private double[] rmsNorm(double[] x, float[] weight) {
    double sumSquares = 0;
    for (double value : x) {
      sumSquares += value * value;
    }
    double scale = 1 / Math.sqrt(sumSquares / x.length + c.rmsNormEps());
    double[] y = new double[x.length];
    for (int i = 0; i < x.length; i++) {
      y[i] = x[i] * scale * weight[i];
    }
    return y;
  }

  /** W [out, in] row-major times x [in]. */
  private static double[] matVec(float[] weight, double[] x, int out) {
    double[] y = new double[out];
    for (int r = 0; r < out; r++) {
      double sum = 0;
      for (int i = 0; i < x.length; i++) {
        sum += weight[r * x.length + i] * x[i];
      }
      y[r] = sum;
    }
    return y;
  }
}
