package dev.featurestore.api;

import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;

/**
 * Iceberg stores timestamps in microseconds; these conversions keep every hop at that precision.
 */
public final class Timestamps {

  private Timestamps() {}

  /**
   * Epoch microseconds, rounded down; exact for every instant Iceberg can store (ChronoUnit
   * overflows past 2262).
   */
  public static long toMicros(Instant instant) {
    return Math.addExact(
        Math.multiplyExact(instant.getEpochSecond(), 1_000_000L), instant.getNano() / 1_000);
  }

  public static Instant fromMicros(long micros) {
    return Instant.EPOCH.plus(micros, ChronoUnit.MICROS);
  }

  /** Truncates to the precision Iceberg keeps, so a value read back equals the value written. */
  public static Instant truncate(Instant instant) {
    return instant.truncatedTo(ChronoUnit.MICROS);
  }

  public static OffsetDateTime toOffsetDateTime(Instant instant) {
    return instant.atOffset(ZoneOffset.UTC);
  }
}
