package dev.featurestore.serving.features;

import dev.featurestore.serving.ServingProperties;
import java.time.Duration;

/**
 * When a lookup stops waiting for memcached: the server's default deadline, or the one the client
 * sends in {@value #HEADER} (whole milliseconds, up to the configured maximum), counted from the
 * moment the controller takes the request.
 *
 * @param budget the time the request allows
 * @param expiresAtNanos {@link System#nanoTime()} at which it runs out
 */
public record Deadline(Duration budget, long expiresAtNanos) {

  public static final String HEADER = "X-Request-Deadline-Ms";

  /**
   * The deadline of a request that arrived now, with {@code header} its value of {@link #HEADER}.
   */
  static Deadline of(String header, ServingProperties.Lookups lookups) {
    Duration budget = lookups.deadline();
    if (header != null) {
      long millis;
      try {
        millis = Long.parseLong(header.strip());
      } catch (NumberFormatException e) {
        throw new InvalidDeadlineException(
            HEADER + " must be a whole number of milliseconds, not '" + header + "'");
      }
      if (millis < 1 || millis > lookups.maxDeadline().toMillis()) {
        throw new InvalidDeadlineException(
            HEADER + " must be 1 to " + lookups.maxDeadline().toMillis() + " ms, not " + millis);
      }
      budget = Duration.ofMillis(millis);
    }
    return new Deadline(budget, System.nanoTime() + budget.toNanos());
  }

  /** Nanoseconds left, at least 0. */
  long remainingNanos() {
    return Math.max(0, expiresAtNanos - System.nanoTime());
  }

  /** A deadline a client sent that the server does not accept: a 400. */
  static final class InvalidDeadlineException extends RuntimeException {
    InvalidDeadlineException(String message) {
      super(message);
    }
  }
}
