package dev.featurestore.serving.features;

/**
 * Writes an embedding as a JSON array of numbers that parse back to exactly the same float32
 * values, about 3 times faster than one {@code writeNumber(float)} per element, which builds a
 * String per float (8 against 23 µs for a 384-float vector, measured once with Jackson's fast
 * double writer on): a 50-id batch is 19,200 floats. Each value in [1e-5, 1) in magnitude is
 * written with 9 significant digits, correctly rounded, trailing zeros dropped; 9 digits always
 * identify a float32 (two floats are at least 2^-24 apart relative to their size, and 9 digits err
 * by at most 5e-9 of it). Anything else (0, 1, very small values, non-finite) goes through {@link
 * Float#toString}.
 */
public final class EmbeddingJson {

  /** The most bytes one value takes. */
  static final int MAX_VALUE_BYTES = 16;

  private static final double[] POWERS = new double[20];

  static {
    for (int i = 0; i < POWERS.length; i++) {
      POWERS[i] = Math.pow(10, i);
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

  static int write(float value, byte[] out, int at) {
    double magnitude = Math.abs((double) value);
    if (!(magnitude >= 1e-5 && magnitude < 1)) {
      return writeFallback(value, out, at);
    }
    // magnitude in [10^exponent, 10^(exponent + 1)), exponent in [-5, -1]
    int exponent = -1;
    while (magnitude < 1 / POWERS[-exponent]) {
      exponent--;
    }
    long digits = Math.round(magnitude * POWERS[8 - exponent]);
    if (digits >= 1_000_000_000L) {
      // rounded up to the next power of ten
      digits /= 10;
      exponent++;
      if (exponent == 0) {
        return writeFallback(value, out, at);
      }
    }
    if (value < 0) {
      out[at++] = '-';
    }
    out[at++] = '0';
    out[at++] = '.';
    for (int zeros = -exponent - 1; zeros > 0; zeros--) {
      out[at++] = '0';
    }
    int significant = 9;
    while (digits % 10 == 0) {
      digits /= 10;
      significant--;
    }
    for (int i = at + significant - 1; i >= at; i--) {
      out[i] = (byte) ('0' + digits % 10);
      digits /= 10;
    }
    return at + significant;
  }

  private static int writeFallback(float value, byte[] out, int at) {
    String text = Float.toString(value);
    for (int i = 0; i < text.length(); i++) {
      out[at++] = (byte) text.charAt(i);
    }
    return at;
  }
}
