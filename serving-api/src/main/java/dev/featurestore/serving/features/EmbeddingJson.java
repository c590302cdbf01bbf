package dev.featurestore.serving.features;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;

/**
 * Writes an embedding as a JSON array of numbers that parse back to exactly the same float32
 * values, about 4 times faster than one {@code writeNumber(float)} per element, which builds a
 * String per float (5.6 against 23 µs for a 384-float vector; the first version of this class, a
 * loop with a branch per digit and per decade, took 8.9 µs): a 50-id batch is 19,200 floats. Each
 * value in [1e-5, 1) in magnitude is written with 9 significant digits, rounded to nearest,
 * trailing zeros dropped; 9 digits always identify a float32 (two floats are at least 2^-24 apart
 * relative to their size, and 9 digits err by at most 5e-9 of it). Anything else (0, 1, very small
 * values, non-finite) goes through {@link Float#toString}.
 */
public final class EmbeddingJson {

  private static final VarHandle SHORT_LE =
      MethodHandles.byteArrayViewVarHandle(short[].class, ByteOrder.LITTLE_ENDIAN);
  private static final VarHandle LONG_LE =
      MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);

  /** The most bytes one value takes. */
  static final int MAX_VALUE_BYTES = 16;

  private static final double[] POWERS = new double[20];

  /**
   * By a float's biased binary exponent: the decimal exponent of the interval's low end, and the
   * power of ten above it (the interval spans a factor of 2, so it holds at most one).
   */
  private static final int[] DECIMAL_EXPONENT = new int[256];

  private static final double[] NEXT_POWER = new double[256];

  /** "00" to "99" as little-endian shorts: the two digits of each number below 100. */
  private static final short[] PAIRS = new short[100];

  /** "0.000000" as a little-endian long: the start of every value in the fast range. */
  private static final long ZERO_POINT_ZEROS =
      (long) LONG_LE.get("0.000000".getBytes(java.nio.charset.StandardCharsets.US_ASCII), 0);

  static {
    for (int i = 0; i < POWERS.length; i++) {
      POWERS[i] = Math.pow(10, i);
    }
    // the exponents of the fast range [1e-5, 1): 2^-17 to 2^-1
    for (int biased = 127 - 17; biased < 127; biased++) {
      double low = Math.scalb(1.0, biased - 127);
      int exponent = (int) Math.floor(Math.log10(low));
      // log10 may land a hair off at exact powers of ten: pin it against the doubles themselves
      while (Math.pow(10, exponent + 1) <= low) {
        exponent++;
      }
      while (Math.pow(10, exponent) > low) {
        exponent--;
      }
      DECIMAL_EXPONENT[biased] = exponent;
      // 1 / 10^k is the double nearest 10^-k (the division rounds correctly), as the literal is
      NEXT_POWER[biased] = 1 / POWERS[-(exponent + 1)];
    }
    for (int i = 0; i < 100; i++) {
      PAIRS[i] = (short) (('0' + i / 10) | ('0' + i % 10) << 8);
    }
  }

  private EmbeddingJson() {}

  /**
   * Writes {@code [v0,v1,...]} into {@code out} from {@code at} ({@link #MAX_VALUE_BYTES} per value
   * suffice) and returns the position after it.
   */
  static int write(float[] values, byte[] out, int at) {
    out[at++] = '[';
    for (int i = 0; i < values.length; i++) {
      if (i > 0) {
        out[at++] = ',';
      }
      at = write(values[i], out, at);
    }
    out[at++] = ']';
    return at;
  }

  /**
   * Writes one value; {@code out} must have {@link #MAX_VALUE_BYTES} from {@code at}. Branch-free
   * where the values of an embedding differ (sign, decimal exponent, leading zeros): with 384
   * values of random sign and size, every mispredicted branch costs more than the arithmetic.
   */
  static int write(float value, byte[] out, int at) {
    double magnitude = Math.abs((double) value);
    if (!(magnitude >= 1e-5 && magnitude < 1)) {
      return writeFallback(value, out, at);
    }
    int bits = Float.floatToRawIntBits(value);
    int biased = (bits >>> 23) & 0xff;
    // magnitude in [10^exponent, 10^(exponent + 1)), exponent in [-5, -1]
    int exponent = DECIMAL_EXPONENT[biased] + (magnitude >= NEXT_POWER[biased] ? 1 : 0);
    // 9 significant digits; + 0.5 and a cast round like Math.round for these positive values (and
    // a last digit one off would still parse back to the same float: 9 digits have slack)
    int digits = (int) (magnitude * POWERS[8 - exponent] + 0.5);
    if (digits >= 1_000_000_000) {
      // rounded up to the next power of ten
      digits /= 10;
      exponent++;
      if (exponent == 0) {
        return writeFallback(value, out, at);
      }
    }
    out[at] = '-';
    at += bits >>> 31;
    // "0." and the leading zeros in one store; the digits overwrite what follows them
    LONG_LE.set(out, at, ZERO_POINT_ZEROS);
    int first = at + 1 - exponent;
    int low = digits % 100_000_000;
    out[first] = (byte) ('0' + digits / 100_000_000);
    int high4 = low / 10_000;
    int low4 = low % 10_000;
    SHORT_LE.set(out, first + 1, PAIRS[high4 / 100]);
    SHORT_LE.set(out, first + 3, PAIRS[high4 % 100]);
    SHORT_LE.set(out, first + 5, PAIRS[low4 / 100]);
    SHORT_LE.set(out, first + 7, PAIRS[low4 % 100]);
    int end = first + 9;
    while (out[end - 1] == '0') {
      end--;
    }
    return end;
  }

  private static int writeFallback(float value, byte[] out, int at) {
    String text = Float.toString(value);
    for (int i = 0; i < text.length(); i++) {
      out[at++] = (byte) text.charAt(i);
    }
    return at;
  }
}
