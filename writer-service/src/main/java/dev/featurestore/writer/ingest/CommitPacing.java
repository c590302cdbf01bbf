package dev.featurestore.writer.ingest;

import dev.featurestore.api.Preconditions;
import java.time.Duration;

/**
 * When the writer commits a batch: once {@code interval} has passed since its previous commit
 * started, or at once when the batch holds {@code maxRecords}. Every commit is an Iceberg snapshot
 * and a rewrite of the table metadata, so the interval bounds the snapshots per writer (86,400 a
 * day at 1 s) while a lone document after a quiet spell is still committed at once (the interval
 * has long passed).
 *
 * @param interval the least time between the starts of two commits; zero commits as fast as the
 *     committer allows
 * @param maxRecords a batch this large is committed without waiting for the interval
 */
public record CommitPacing(Duration interval, int maxRecords) {

  public static final CommitPacing DEFAULT = new CommitPacing(Duration.ofSeconds(1), 2048);

  public CommitPacing {
    Preconditions.checkArgument(
        interval != null && !interval.isNegative(), "Invalid commit interval: %s", interval);
    Preconditions.checkArgument(maxRecords >= 1, "Invalid max batch records: %s", maxRecords);
  }

  /**
   * Whether a batch of {@code records} is due, {@code sinceLastCommitNanos} after the previous
   * commit started.
   */
  public boolean due(int records, long sinceLastCommitNanos) {
    return records >= maxRecords || sinceLastCommitNanos >= interval.toNanos();
  }

  /** How long a batch that is not due yet may still wait, in milliseconds (at least 1). */
  public long waitMillis(long sinceLastCommitNanos) {
    return Math.max(1, Duration.ofNanos(interval.toNanos() - sinceLastCommitNanos).toMillis());
  }
}
