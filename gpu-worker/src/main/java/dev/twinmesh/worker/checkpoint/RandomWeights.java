package dev.twinmesh.worker.checkpoint;

import java.nio.charset.StandardCharsets;
import java.util.SplittableRandom;

/**
 * Random-init values for a checkpoint: normal(0, 0.02) for matrices, 1.0 for norm weights, 0 for biases.
 * Each tensor draws from its own generator seeded by (seed, name), so its values do not depend on
 * the chunk size, the tensor order or the sharding.
 */
public final class RandomWeights implements TensorContent {
  public static final double STD = 0.02;

  private final long seed;

  public RandomWeights(long seed) {
    this.seed = seed;
  }

  @Override
  public ValueStream open(TensorSpec spec) {
    String name = spec.name();
    if (name.endsWith("norm.weight")) {
      return (dst, count) -> java.util.Arrays.fill(dst, 0, count, 1.0f);
    }
    if (name.endsWith(".bias")) {
      return (dst, count) -> java.util.Arrays.fill(dst, 0, count, 0.0f);
    }
    SplittableRandom random = new SplittableRandom(tensorSeed(seed, name));
    return (dst, count) -> {
      for (int i = 0; i < count; i++) {
        dst[i] = (float) (random.nextGaussian() * STD);
      }
    };
  }

  /** FNV-1a over the name, then a SplitMix64 finaliser so that near-identical names land far apart. */
  static long tensorSeed(long seed, String name) {
    long h = 0xcbf29ce484222325L;
    for (byte b : name.getBytes(StandardCharsets.UTF_8)) {
      h = (h ^ (b & 0xff)) * 0x100000001b3L;
    }
    long z = seed ^ h;
    z = (z ^ (z >>> 30)) * 0xbf58476d1ce4e5b9L;
    z = (z ^ (z >>> 27)) * 0x94d049bb133111ebL;
    return z ^ (z >>> 31);
  }
}
