package dev.featurestore.writer.ingest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class CommitPacingTest {

  private static final long MS = 1_000_000L;
  private final CommitPacing pacing = new CommitPacing(Duration.ofSeconds(1), 100);

  @Test
  void aBatchWaitsForTheIntervalSinceThePreviousCommit() {
    assertThat(pacing.due(1, 10 * MS)).isFalse();
    assertThat(pacing.due(99, 999 * MS)).isFalse();
    assertThat(pacing.due(1, 1000 * MS)).isTrue();
    assertThat(pacing.waitMillis(400 * MS)).isEqualTo(600);
    assertThat(pacing.waitMillis(2000 * MS)).as("at least 1 ms, never negative").isEqualTo(1);
  }

  @Test
  void aFullBatchIsDueAtOnceAndALoneDocumentAfterAQuietSpellToo() {
    assertThat(pacing.due(100, 0)).isTrue();
    assertThat(pacing.due(1, Duration.ofHours(1).toNanos())).isTrue();
  }

  @Test
  void zeroCommitsAsFastAsTheCommitterAllows() {
    CommitPacing eager = new CommitPacing(Duration.ZERO, 100);
    assertThat(eager.due(1, 0)).isTrue();
  }

  @Test
  void invalidSettingsNameTheValue() {
    assertThatThrownBy(() -> new CommitPacing(Duration.ofMillis(-1), 1))
        .hasMessageContaining("Invalid commit interval: PT-0.001S");
    assertThatThrownBy(() -> new CommitPacing(Duration.ZERO, 0))
        .hasMessageContaining("Invalid max batch records: 0");
  }
}
