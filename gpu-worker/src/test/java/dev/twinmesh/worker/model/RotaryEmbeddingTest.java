package dev.twinmesh.worker.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.twinmesh.worker.checkpoint.ModelConfig.RopeScaling;
import org.junit.jupiter.api.Test;

class RotaryEmbeddingTest {

  private static final int HEAD_DIM = 16;
  private static final double THETA = 10000;

  @Test
  void withoutScalingFrequenciesFollowThetaPowers() {
    double[] f = RotaryEmbedding.inverseFrequencies(HEAD_DIM, THETA, null);
    assertEquals(8, f.length);
    assertEquals(1.0, f[0], 0);
    assertEquals(Math.pow(THETA, -6.0 / 16), f[3], 1e-15);
  }

  @Test
  void llama3ScalingKeepsHighFrequenciesSlowsLowOnesAndBlendsBetween() {
    RopeScaling scaling = TinyConfigs.LLAMA3_SCALING; // factor 4, low 1, high 4, original 64
    double[] plain = RotaryEmbedding.inverseFrequencies(HEAD_DIM, THETA, null);
    double[] scaled = RotaryEmbedding.inverseFrequencies(HEAD_DIM, THETA, scaling);
    // wavelength 2π < 64/4: kept
    assertEquals(plain[0], scaled[0], 0);
    // wavelengths about 19.9 and 62.8 lie between 16 and 64: strictly between kept and divided
    for (int i = 1; i <= 2; i++) {
      assertTrue(scaled[i] < plain[i] && scaled[i] > plain[i] / 4, "band " + i);
    }
    // wavelength beyond 64: divided by the factor
    for (int i = 3; i < 8; i++) {
      assertEquals(plain[i] / 4, scaled[i], 1e-15);
    }
  }

  @Test
  void linearScalingDividesEveryFrequency() {
    double[] plain = RotaryEmbedding.inverseFrequencies(HEAD_DIM, THETA, null);
    double[] scaled = RotaryEmbedding.inverseFrequencies(HEAD_DIM, THETA, new RopeScaling("linear", 2, 0, 0, 0));
    for (int i = 0; i < plain.length; i++) {
      assertEquals(plain[i] / 2, scaled[i], 1e-15);
    }
  }

  @Test
  void anUnknownScalingTypeIsRefusedByName() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> RotaryEmbedding.inverseFrequencies(HEAD_DIM, THETA, new RopeScaling("yarn", 4, 1, 4, 64)));
    assertTrue(e.getMessage().contains("yarn"));
  }
}
