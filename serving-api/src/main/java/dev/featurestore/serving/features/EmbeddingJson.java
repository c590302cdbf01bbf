package dev.featurestore.serving.features;

import tools.jackson.core.JsonGenerator;
import tools.jackson.core.io.SerializedString;
import tools.jackson.databind.SerializationContext;
import tools.jackson.databind.ValueSerializer;

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
public final class EmbeddingJson extends ValueSerializer<float[]> {

  private static final double[] POWERS = new double[20];

  static {
    for (int i = 0; i < POWERS.length; i++) {
      POWERS[i] = Math.pow(10, i);
    }
  }

  @Override
  public void serialize(float[] embedding, JsonGenerator generator, SerializationContext context) {
    char[] text = new char[2 + embedding.length * 16];
    int length = write(embedding, text);
    // as one pre-encoded value: the generator copies it in one piece, where writeRawValue(char[])
    // longer than its
    // buffer is flushed segment by segment (measured: p50 of a one-id JSON lookup 0.6 -> 2.2 ms)
    generator.writeRawValue(new SerializedString(new String(text, 0, length)));
  }

  /**
   * Writes {@code [v0,v1,...]} into {@code out} (16 chars per value suffice) and returns the
   * length.
   */
  static int write(float[] values, char[] out) {
    int at = 0;
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

  static int write(float value, char[] out, int at) {
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
      out[i] = (char) ('0' + digits % 10);
      digits /= 10;
    }
    return at + significant;
  }

  private static int writeFallback(float value, char[] out, int at) {
    String text = Float.toString(value);
    text.getChars(0, text.length(), out, at);
    return at + text.length();
  }
}
