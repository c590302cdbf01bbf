package dev.featurestore.serving.features;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.featurestore.serving.ServingProperties;
import java.time.Duration;
import org.junit.jupiter.api.Test;

class DeadlineTest {

  private final ServingProperties.Lookups lookups =
      new ServingProperties.Lookups(100, 64, Duration.ofSeconds(1), Duration.ofSeconds(10));

  @Test
  void theDefaultUnlessTheRequestSendsItsOwnWithinTheMaximum() {
    long before = System.nanoTime();
    Deadline fallback = Deadline.of(null, lookups);
    assertThat(fallback.budget()).isEqualTo(Duration.ofSeconds(1));
    assertThat(fallback.expiresAtNanos() - before).isBetween(999_000_000L, 1_100_000_000L);
    assertThat(Deadline.of(" 25 ", lookups).budget()).isEqualTo(Duration.ofMillis(25));
    assertThat(Deadline.of("10000", lookups).budget()).isEqualTo(Duration.ofSeconds(10));
    assertThat(Deadline.of("5", lookups).remainingNanos()).isBetween(0L, 5_000_000L);
  }

  @Test
  void aDeadlineTheServerCannotHonourIsTheClientsError() {
    assertThatThrownBy(() -> Deadline.of("soon", lookups))
        .isInstanceOf(Deadline.InvalidDeadlineException.class)
        .hasMessage("X-Request-Deadline-Ms must be a whole number of milliseconds, not 'soon'");
    assertThatThrownBy(() -> Deadline.of("0", lookups))
        .hasMessage("X-Request-Deadline-Ms must be 1 to 10000 ms, not 0");
    assertThatThrownBy(() -> Deadline.of("10001", lookups))
        .hasMessage("X-Request-Deadline-Ms must be 1 to 10000 ms, not 10001");
  }

  @Test
  void theDefaultMustFitTheMaximum() {
    assertThatThrownBy(
            () ->
                new ServingProperties.Lookups(
                    100, 64, Duration.ofSeconds(11), Duration.ofSeconds(10)))
        .hasMessageContaining("Invalid lookup deadline: PT11S");
  }
}
