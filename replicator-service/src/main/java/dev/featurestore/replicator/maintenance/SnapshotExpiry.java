package dev.featurestore.replicator.maintenance;

import dev.featurestore.replicator.checkpoint.CheckpointStore;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.iceberg.Snapshot;
import org.apache.iceberg.Table;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Expires snapshots older than the retention window, and beyond the newest {@code maxSnapshots}
 * whatever their age (each snapshot adds ~1 KB to the metadata.json every commit rewrites), with
 * Iceberg's own {@code ExpireSnapshots}, which keeps every snapshot a tag or branch holds and
 * deletes the files only expired snapshots referenced. The active replicator's checkpoint is kept
 * too (its incremental read starts there), unless it is older than {@code checkpointMaxAge}: a
 * replicator that far behind resyncs from the current snapshot instead (its full-resync counter and
 * log say so).
 */
final class SnapshotExpiry {

  private static final Logger LOG = LoggerFactory.getLogger(SnapshotExpiry.class);

  private final Table table;
  private final String tableName;
  private final CheckpointStore checkpoints;

  SnapshotExpiry(Table table, String tableName, CheckpointStore checkpoints) {
    this.table = table;
    this.tableName = tableName;
    this.checkpoints = checkpoints;
  }

  /** Expired snapshots and deleted files. */
  record Result(int snapshots, int filesDeleted) {}

  Result expire(long nowMillis, Duration retention, int maxSnapshots, Duration checkpointMaxAge) {
    table.refresh();
    long cutoff = Math.max(nowMillis - retention.toMillis(), oldestOfNewest(maxSnapshots));
    CheckpointStore.Checkpoint checkpoint = checkpoints.load(tableName);
    if (checkpoint.snapshotId().isPresent()) {
      Snapshot kept = table.snapshot(checkpoint.snapshotId().getAsLong());
      if (kept != null && kept.timestampMillis() < cutoff) {
        if (kept.timestampMillis() >= nowMillis - checkpointMaxAge.toMillis()) {
          cutoff = kept.timestampMillis();
        } else {
          LOG.warn(
              "The replicator checkpoint {} of {} is older than {}: expiring it; the replicator will resync the online store",
              kept.snapshotId(),
              tableName,
              checkpointMaxAge);
        }
      }
    }
    Set<Long> before = ids();
    AtomicInteger deleted = new AtomicInteger();
    table
        .expireSnapshots()
        .expireOlderThan(cutoff)
        .retainLast(1)
        .cleanExpiredFiles(true)
        .deleteWith(
            location -> {
              table.io().deleteFile(location);
              deleted.incrementAndGet();
            })
        .commit();
    table.refresh();
    before.removeAll(ids());
    return new Result(before.size(), deleted.get());
  }

  /** The time of the {@code count}-th newest snapshot: expiring older ones keeps {@code count}. */
  private long oldestOfNewest(int count) {
    List<Long> all = new ArrayList<>();
    table.snapshots().forEach(snapshot -> all.add(snapshot.timestampMillis()));
    if (all.size() <= count) {
      return Long.MIN_VALUE;
    }
    all.sort(Comparator.reverseOrder());
    return all.get(count - 1);
  }

  private Set<Long> ids() {
    Set<Long> ids = new HashSet<>();
    table.snapshots().forEach(snapshot -> ids.add(snapshot.snapshotId()));
    return ids;
  }
}
