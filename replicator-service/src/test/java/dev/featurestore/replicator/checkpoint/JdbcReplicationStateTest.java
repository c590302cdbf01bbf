package dev.featurestore.replicator.checkpoint;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The lease on a SQLite file, with clocks the test controls. */
class JdbcReplicationStateTest {

  private static final String TABLE = "featurestore.document_embeddings";
  private static final Duration TTL = Duration.ofSeconds(5);

  @TempDir Path dir;

  @Test
  void oneOwnerHoldsTheLeaseUntilItExpires() {
    AtomicLong millis = new AtomicLong(1_000_000);
    JdbcReplicationState first = state("first", millis);
    JdbcReplicationState second = state("second", millis);
    assertThat(first.acquireOrRenew(TABLE)).isTrue();
    assertThat(second.acquireOrRenew(TABLE)).isFalse();
    millis.addAndGet(TTL.toMillis());
    assertThat(second.acquireOrRenew(TABLE)).as("expired").isTrue();
    assertThat(first.acquireOrRenew(TABLE)).isFalse();
  }

  @Test
  void aRenewalThatTookItsWholeTtlDoesNotCount() {
    AtomicLong millis = new AtomicLong(1_000_000);
    JdbcReplicationState owner = state("owner", millis);
    assertThat(owner.acquireOrRenew(TABLE)).isTrue();
    // every reading of this clock is a TTL later than the one before: the database answered after the lease ran out
    JdbcReplicationState slow = new JdbcReplicationState(url(), null, null, "owner", TTL, clock(() -> millis.getAndAdd(TTL.toMillis())));
    assertThat(slow.acquireOrRenew(TABLE)).isFalse();
    assertThat(owner.acquireOrRenew(TABLE)).as("a renewal in time counts again").isTrue();
  }

  private JdbcReplicationState state(String owner, AtomicLong millis) {
    return new JdbcReplicationState(url(), null, null, owner, TTL, clock(millis::get));
  }

  private String url() {
    return "jdbc:sqlite:" + dir.resolve("state.db") + "?busy_timeout=5000";
  }

  private static Clock clock(java.util.function.LongSupplier millis) {
    return new Clock() {
      @Override
      public ZoneOffset getZone() {
        return ZoneOffset.UTC;
      }

      @Override
      public Clock withZone(java.time.ZoneId zone) {
        return this;
      }

      @Override
      public Instant instant() {
        return Instant.ofEpochMilli(millis.getAsLong());
      }

      @Override
      public long millis() {
        return millis.getAsLong();
      }
    };
  }
}
