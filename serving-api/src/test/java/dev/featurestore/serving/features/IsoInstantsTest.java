package dev.featurestore.serving.features;

import static org.assertj.core.api.Assertions.assertThat;

import dev.featurestore.api.Timestamps;
import java.nio.charset.StandardCharsets;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** The timestamps of JSON answers are what {@code Instant.toString()} writes, to the byte. */
class IsoInstantsTest {

  @Test
  void writesWhatInstantWritesAcrossTheYearsZeroTo9999() {
    Random random = new Random(11);
    long min = -62_167_219_200_000_000L; // 0000-01-01T00:00:00Z
    long max = 253_402_300_799_999_999L; // 9999-12-31T23:59:59.999999Z
    long[] edges = {
      0,
      1,
      -1,
      999,
      1000,
      1_000_000,
      min,
      max,
      951_782_400_000_000L /* 2000-02-29 */,
      1_764_064_800_123_456L,
      1_764_064_800_123_000L,
      1_764_064_800_000_000L
    };
    byte[] out = new byte[40];
    for (long micros : edges) {
      check(micros, out);
    }
    for (int i = 0; i < 200_000; i++) {
      long micros = min + Math.floorMod(random.nextLong(), max - min);
      // a third with whole milliseconds, a third with whole seconds: each fraction form
      micros = i % 3 == 0 ? micros - Math.floorMod(micros, 1000) : micros;
      micros = i % 3 == 1 ? micros - Math.floorMod(micros, 1_000_000) : micros;
      check(micros, out);
    }
  }

  @Test
  void leavesYearsInstantWritesWithASignToInstant() {
    byte[] out = new byte[40];
    assertThat(IsoInstants.write(-62_167_219_200_000_001L, out, 0)).isEqualTo(-1);
    assertThat(IsoInstants.write(253_402_300_800_000_000L, out, 0)).isEqualTo(-1);
  }

  private static void check(long micros, byte[] out) {
    int end = IsoInstants.write(micros, out, 3);
    assertThat(new String(out, 3, end - 3, StandardCharsets.US_ASCII))
        .as("%s micros", micros)
        .isEqualTo(Timestamps.fromMicros(micros).toString());
  }
}
