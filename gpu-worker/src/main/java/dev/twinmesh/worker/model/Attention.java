package dev.twinmesh.worker.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;

/**
 * Grouped-query scaled dot-product attention over keys and values a cache has gathered:
 * {@link #attend} for the new tokens of one sequence (prompt, chunk or decode token) over a
 * contiguous cache; the paged path does the same inside {@link ScriptedDecoder}. Query head h reads
 * key/value head h / queriesPerKv, as Hugging Face's repeat_kv does. The caches only store and
 * gather, so a fused attention kernel can replace this class alone.
 */
public final class Attention {

  private final int heads;
  private final int kvHeads;
  private final int headDim;
  private final NDArray scale; // 1/sqrt(headDim), a scalar made once rather than per product

  /** @param manager holds the scale for as long as this attention is used */
  public Attention(int heads, int kvHeads, int headDim, NDManager manager) {
    this.heads = heads;
    this.kvHeads = kvHeads;
    this.headDim = headDim;
    this.scale = manager.create(1.0 / Math.sqrt(headDim));
  }

  /**
   * @param q      [T, heads, headDim], already rotated
   * @param keys   [L, kvHeads, headDim], every cached position including the new ones
   * @param values [L, kvHeads, headDim]
   * @param mask   [T, L] additive (0 or -inf), or null when every query may see every key
   * @return [T, heads*headDim]
   */
  public NDArray attend(NDArray q, NDArray keys, NDArray values, NDArray mask) {
    long t = q.getShape().get(0);
    long l = keys.getShape().get(0);
    long group = heads / kvHeads;
    // queries grouped under their key/value head: [kvHeads, group*T, headDim]
    NDArray grouped = q.reshape(t, kvHeads, group, headDim).transpose(1, 2, 0, 3)
        .reshape(kvHeads, group * t, headDim);
    NDArray keysByHead = keys.transpose(1, 2, 0);   // [kvHeads, headDim, L]
    NDArray valuesByHead = values.transpose(1, 0, 2); // [kvHeads, L, headDim]
    // scores in fp32 so the softmax is stable in fp16 runs: [kvHeads, group*T, L]
    NDArray scores = grouped.matMul(keysByHead).toType(DataType.FLOAT32, false).mul(scale);
    if (mask != null) {
      scores = scores.reshape(kvHeads, group, t, l).add(mask).reshape(kvHeads, group * t, l);
    }
    NDArray probs = scores.softmax(-1).toType(q.getDataType(), false);
    NDArray out = probs.matMul(valuesByHead);        // [kvHeads, group*T, headDim]
    return out.reshape(kvHeads, group, t, headDim).transpose(2, 0, 1, 3).reshape(t, (long) heads * headDim);
  }

  /**
   * Causal mask for T new tokens at positions start..start+T-1 over keys 0..start+T-1: query i
   * sees every cached key and the new keys up to itself.
   */
  public static NDArray causalMask(NDManager manager, int start, int t) {
    int l = start + t;
    float[] mask = new float[t * l];
    for (int i = 0; i < t; i++) {
      for (int j = start + i + 1; j < l; j++) {
        mask[i * l + j] = Float.NEGATIVE_INFINITY;
      }
    }
    return manager.create(mask, new Shape(t, l));
  }
}
