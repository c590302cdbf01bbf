package dev.featurestore.serving.features;

/**
 * Writes epoch microseconds exactly as {@link java.time.Instant#toString()} does ({@code
 * 2026-11-25T10:00:00.123456Z}: the fraction in groups of three digits, none when zero), straight
 * into bytes: through {@code Instant.toString()} the two timestamps of a feature were about 7 % of
 * a JSON lookup's allocation in a JFR profile under wrk (its date-time objects, builders and
 * strings).
 */
final class IsoInstants {

  private static final long MICROS_PER_SECOND = 1_000_000L;
  private static final long SECONDS_PER_DAY = 86_400L;

  private IsoInstants() {}

  /**
   * Writes the text from {@code at} (28 bytes at most) and returns the position after it; -1,
   * writing nothing, for years outside 0 to 9999 (which {@code Instant} writes with a sign).
   */
  static int write(long epochMicros, byte[] out, int at) {
    long seconds = Math.floorDiv(epochMicros, MICROS_PER_SECOND);
    int micros = (int) Math.floorMod(epochMicros, MICROS_PER_SECOND);
    long days = Math.floorDiv(seconds, SECONDS_PER_DAY);
    int secondOfDay = (int) Math.floorMod(seconds, SECONDS_PER_DAY);
    // the proleptic Gregorian date of a day count (H. Hinnant's civil_from_days)
    long z = days + 719_468;
    long era = Math.floorDiv(z, 146_097);
    long dayOfEra = z - era * 146_097;
    long yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365;
    long dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100);
    long shiftedMonth = (5 * dayOfYear + 2) / 153;
    int day = (int) (dayOfYear - (153 * shiftedMonth + 2) / 5 + 1);
    int month = (int) (shiftedMonth < 10 ? shiftedMonth + 3 : shiftedMonth - 9);
    long year = yearOfEra + era * 400 + (month <= 2 ? 1 : 0);
    if (year < 0 || year > 9999) {
      return -1;
    }
    at = digits(year, 4, out, at);
    out[at++] = '-';
    at = digits(month, 2, out, at);
    out[at++] = '-';
    at = digits(day, 2, out, at);
    out[at++] = 'T';
    at = digits(secondOfDay / 3600, 2, out, at);
    out[at++] = ':';
    at = digits(secondOfDay / 60 % 60, 2, out, at);
    out[at++] = ':';
    at = digits(secondOfDay % 60, 2, out, at);
    if (micros != 0) {
      out[at++] = '.';
      at = micros % 1000 == 0 ? digits(micros / 1000, 3, out, at) : digits(micros, 6, out, at);
    }
    out[at++] = 'Z';
    return at;
  }

  private static int digits(long value, int count, byte[] out, int at) {
    for (int i = at + count - 1; i >= at; i--) {
      out[i] = (byte) ('0' + value % 10);
      value /= 10;
    }
    return at + count;
  }
}
