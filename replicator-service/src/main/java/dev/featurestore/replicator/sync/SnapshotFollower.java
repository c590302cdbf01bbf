package dev.featurestore.replicator.sync;

import dev.featurestore.replicator.checkpoint.CheckpointStore;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.util.OptionalLong;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;
import org.apache.iceberg.Snapshot;
import org.apache.iceberg.Table;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One replication cycle: refresh the table, and if it has a snapshot the checkpoint has not reached, write every
 * row added since into memcached, then (and only then) move the checkpoint. A failed cycle leaves the checkpoint
 * where it was, so the next one redoes the range: writes are idempotent, nothing is skipped.
 */
public final class SnapshotFollower {

  private static final Logger LOG = LoggerFactory.getLogger(SnapshotFollower.class);

  private final Table table;
  private final String tableName;
  private final TableChangeReader reader;
  private final Supplier<OnlineStoreWriter> writers;
  private final CheckpointStore checkpoints;
  private final Counter rowsSet;
  private final Counter rowsDeleted;
  private final Counter fullResyncs;
  private final Counter failures;
  private final Timer cycleTime;
  private final AtomicLong lagSnapshots = new AtomicLong();
  private final AtomicLong lastSuccessEpochMillis = new AtomicLong();

  public SnapshotFollower(
      Table table, String tableName, Supplier<OnlineStoreWriter> writers, CheckpointStore checkpoints, MeterRegistry meters) {
    this.table = table;
    this.tableName = tableName;
    this.reader = new TableChangeReader(table);
    this.writers = writers;
    this.checkpoints = checkpoints;
    this.rowsSet = meters.counter("featurestore.replicator.rows.set");
    this.rowsDeleted = meters.counter("featurestore.replicator.rows.deleted");
    this.fullResyncs = meters.counter("featurestore.replicator.full.resyncs");
    this.failures = meters.counter("featurestore.replicator.cycle.failures");
    this.cycleTime = meters.timer("featurestore.replicator.cycle.time");
    meters.gauge("featurestore.replicator.lag.snapshots", lagSnapshots);
    meters.gauge("featurestore.replicator.last.success", lastSuccessEpochMillis, v -> v.get() / 1000.0);
  }

  /** Runs one cycle; returns the number of keys set or deleted. Never throws: failures are logged and counted. */
  public long runOnce() {
    try {
      return cycleTime.recordCallable(this::replicate);
    } catch (Exception e) {
      failures.increment();
      LOG.warn("Replication cycle failed, will retry from the same checkpoint: {}", e.toString());
      return 0;
    }
  }

  private long replicate() {
    table.refresh();
    Snapshot current = table.currentSnapshot();
    OptionalLong checkpoint = checkpoints.load(tableName);
    if (current == null || (checkpoint.isPresent() && checkpoint.getAsLong() == current.snapshotId())) {
      lagSnapshots.set(0);
      lastSuccessEpochMillis.set(System.currentTimeMillis());
      return 0;
    }
    lagSnapshots.set(countSnapshotsSince(current, checkpoint));
    TableChangeReader.Plan plan = reader.plan(checkpoint.isPresent() ? checkpoint.getAsLong() : null, current);
    if (plan.fullResync()) {
      fullResyncs.increment();
      LOG.info("Full resync of {} from snapshot {} ({} files)", tableName, current.snapshotId(), plan.changes().size());
    }
    OnlineStoreWriter writer = writers.get();
    for (TableChangeReader.Change change : plan.changes()) {
      reader.apply(change, writer);
    }
    writer.flush();
    checkpoints.save(tableName, current.snapshotId());
    rowsSet.increment(writer.written());
    rowsDeleted.increment(writer.deleted());
    lagSnapshots.set(0);
    lastSuccessEpochMillis.set(System.currentTimeMillis());
    LOG.debug("Replicated {} sets and {} deletes up to snapshot {}", writer.written(), writer.deleted(), current.snapshotId());
    return writer.written() + writer.deleted();
  }

  /** Snapshots between the checkpoint and the current one (all of them when there is no usable checkpoint). */
  private long countSnapshotsSince(Snapshot current, OptionalLong checkpoint) {
    long count = 0;
    for (Snapshot s = current; s != null; count++) {
      if (checkpoint.isPresent() && s.snapshotId() == checkpoint.getAsLong()) {
        return count;
      }
      s = s.parentId() == null ? null : table.snapshot(s.parentId());
    }
    return count;
  }
}
