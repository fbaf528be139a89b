package dev.twinmesh.worker.checkpoint;

/** Bit-exact conversions between fp32 and the two 16-bit float formats (Java 17 has neither built in). */
public final class HalfFloats {
  private HalfFloats() {}

  /** Every fp16 bit pattern decoded once, so bulk reads are a table lookup per element. */
  private static final float[] F16_TABLE = buildF16Table();

  public static float bf16ToFloat(short bits) {
    return Float.intBitsToFloat((bits & 0xffff) << 16);
  }

  /** Round to nearest, ties to even, as PyTorch does; NaN stays a quiet NaN. */
  public static short floatToBf16(float value) {
    int bits = Float.floatToRawIntBits(value);
    if (Float.isNaN(value)) {
      return (short) ((bits >>> 16) | 0x0040);
    }
    int lsb = (bits >>> 16) & 1;
    return (short) ((bits + 0x7fff + lsb) >>> 16);
  }

  public static float f16ToFloat(short bits) {
    return F16_TABLE[bits & 0xffff];
  }

  /** Round to nearest, ties to even; overflow goes to infinity and tiny values to subnormals or zero. */
  public static short floatToF16(float value) {
    int bits = Float.floatToRawIntBits(value);
    int sign = (bits >>> 16) & 0x8000;
    int exp = (bits >>> 23) & 0xff;
    int mantissa = bits & 0x7fffff;
    if (exp == 0xff) {
      return (short) (sign | 0x7c00 | (mantissa != 0 ? 0x200 : 0));
    }
    int halfExp = exp - 127 + 15;
    if (halfExp >= 0x1f) {
      return (short) (sign | 0x7c00);
    }
    if (halfExp <= 0) {
      if (halfExp < -10) {
        return (short) sign;
      }
      // subnormal: shift the full significand (with its implicit 1) into the 10-bit field
      int significand = mantissa | 0x800000;
      int shift = 14 - halfExp;
      return (short) (sign | roundShift(significand, shift));
    }
    // a carry out of the mantissa correctly bumps the exponent, even up to infinity
    return (short) (sign | ((halfExp << 10) + roundShift(mantissa, 13)));
  }

  private static int roundShift(int value, int shift) {
    int kept = value >>> shift;
    int rest = value & ((1 << shift) - 1);
    int half = 1 << (shift - 1);
    if (rest > half || (rest == half && (kept & 1) == 1)) {
      kept++;
    }
    return kept;
  }

  private static float[] buildF16Table() {
    float[] table = new float[1 << 16];
    for (int bits = 0; bits < table.length; bits++) {
      table[bits] = decodeF16(bits);
    }
    return table;
  }

  private static float decodeF16(int bits) {
    int sign = (bits & 0x8000) << 16;
    int exp = (bits >>> 10) & 0x1f;
    int mantissa = bits & 0x3ff;
    if (exp == 0x1f) {
      return Float.intBitsToFloat(sign | 0x7f800000 | (mantissa << 13));
    }
    if (exp == 0) {
      float magnitude = mantissa * 0x1p-24f;
      return sign == 0 ? magnitude : -magnitude;
    }
    return Float.intBitsToFloat(sign | ((exp - 15 + 127) << 23) | (mantissa << 13));
  }
}
