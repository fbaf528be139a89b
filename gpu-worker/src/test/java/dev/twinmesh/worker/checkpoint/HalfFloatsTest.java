package dev.twinmesh.worker.checkpoint;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class HalfFloatsTest {

  @Test
  void bf16RoundsHalfwayCasesToEven() {
    // 1 + 2^-8 lies exactly between bf16 1.0 (even) and 1.0078125 (odd): goes down
    assertEquals((short) 0x3f80, HalfFloats.floatToBf16(1.0f + 0x1p-8f));
    // 1 + 3*2^-8 lies between 1.0078125 (odd) and 1.015625 (even): goes up
    assertEquals((short) 0x3f82, HalfFloats.floatToBf16(1.0f + 3 * 0x1p-8f));
    // just above halfway: up
    assertEquals((short) 0x3f81, HalfFloats.floatToBf16(Float.intBitsToFloat(0x3f808001)));
    assertEquals(-2.0f, HalfFloats.bf16ToFloat(HalfFloats.floatToBf16(-2.0f)));
    assertTrue(Float.isNaN(HalfFloats.bf16ToFloat(HalfFloats.floatToBf16(Float.NaN))));
  }

  @Test
  void f16EncodesKnownValues() {
    assertEquals((short) 0x3c00, HalfFloats.floatToF16(1.0f));
    assertEquals((short) 0xc000, HalfFloats.floatToF16(-2.0f));
    assertEquals((short) 0x7bff, HalfFloats.floatToF16(65504f));
    // halfway between the largest finite value and 2^16: ties to even, which is infinity
    assertEquals((short) 0x7c00, HalfFloats.floatToF16(65520f));
    assertEquals((short) 0x0001, HalfFloats.floatToF16(0x1p-24f));
    assertEquals((short) 0x0000, HalfFloats.floatToF16(0x1p-25f));
    assertEquals((short) 0x0002, HalfFloats.floatToF16(3 * 0x1p-25f));
    assertEquals((short) 0x3c00, HalfFloats.floatToF16(1.0f + 0x1p-11f));
    assertEquals((short) 0x3c02, HalfFloats.floatToF16(1.0f + 3 * 0x1p-11f));
    assertEquals((short) 0x0400, HalfFloats.floatToF16(0x1p-14f - 0x1p-26f));
  }

  @Test
  void everyF16ValueSurvivesARoundTripThroughFloat() {
    for (int bits = 0; bits < 1 << 16; bits++) {
      float value = HalfFloats.f16ToFloat((short) bits);
      if (!Float.isNaN(value)) {
        assertEquals(bits, HalfFloats.floatToF16(value) & 0xffff, "f16 bits " + Integer.toHexString(bits));
      }
    }
  }
}
