package dev.featurestore.serving.features;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * Every float written parses back to the same bits, in the fast range, at its edges and outside it.
 */
class EmbeddingJsonTest {

  @Test
  // 9.9999997e-6f is written as the JDK prints it: the case the shortest-form writer must match
  @SuppressWarnings("FloatingPointLiteralPrecision")
  void everyFloatOfTheFastRangeAndItsEdgesRoundTrips() {
    SplittableRandom random = new SplittableRandom(5);
    byte[] out = new byte[32];
    int checked = 0;
    // uniformly random bit patterns of [1e-6, 2): every exponent of the fast range and both edges
    int low = Float.floatToIntBits(1e-6f);
    int high = Float.floatToIntBits(2f);
    for (int i = 0; i < 3_000_000; i++) {
      float value = Float.intBitsToFloat(random.nextInt(low, high));
      roundTrips(random.nextBoolean() ? value : -value, out);
      checked++;
    }
    // every float next to a power of ten, where the digit count and the rounding carry change
    for (int power = -7; power <= 1; power++) {
      float edge = (float) Math.pow(10, power);
      float below = edge;
      float above = edge;
      for (int step = 0; step < 2000; step++) {
        roundTrips(below, out);
        roundTrips(above, out);
        below = Math.nextDown(below);
        above = Math.nextUp(above);
        checked += 2;
      }
    }
    for (float special :
        new float[] {
          0f,
          -0f,
          1f,
          -1f,
          Float.MIN_VALUE,
          Float.MAX_VALUE,
          0.1f,
          0.2f,
          0.99999994f,
          1e-5f,
          9.9999997e-6f
        }) {
      roundTrips(special, out);
    }
    assertThat(checked).isGreaterThan(3_000_000);
  }

  @Test
  void writesACompactJsonArray() {
    byte[] out = new byte[2 + 4 * 16];
    int length = EmbeddingJson.write(new float[] {0.5f, -0.03324153f, 0f, 1e-7f}, out, 0);
    // 9 significant digits, not the shortest form: -0.03324153f is written -0.033241529 (which
    // parses back to it)
    assertThat(new String(out, 0, length)).isEqualTo("[0.5,-0.033241529,0.0,1.0E-7]");
  }

  private static void roundTrips(float value, byte[] out) {
    int length = EmbeddingJson.write(value, out, 0);
    String text = new String(out, 0, length);
    assertThat(length).as(text).isLessThanOrEqualTo(16);
    assertThat(Float.floatToRawIntBits(Float.parseFloat(text)))
        .as("%s written as %s", value, text)
        .isEqualTo(Float.floatToRawIntBits(value));
    // JSON numbers: no leading '.', no trailing '.', digits only apart from sign, point and
    // exponent
    assertThat(text).matches("-?\\d+(\\.\\d+)?(E-?\\d+)?");
  }
}
