package dev.featurestore.replicator.sync;

import dev.featurestore.replicator.checkpoint.CheckpointStore;
import dev.featurestore.replicator.checkpoint.CheckpointStore.Checkpoint;
import dev.featurestore.replicator.checkpoint.Leadership;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.net.SocketAddress;
import java.util.HashSet;
import java.util.Map;
import java.util.OptionalLong;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;
import org.apache.iceberg.Snapshot;
import org.apache.iceberg.Table;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One replication cycle:
 *
 * <ol>
 *   <li>check the memcached sentinels; a server that came back empty (restart, flush) is re-warmed
 *       with the keys that hash to it, from the checkpoint's snapshot;
 *   <li>refresh the table; if it has a snapshot the checkpoint has not reached, apply every change
 *       since into the checkpoint's key generation, then, and only then, move the checkpoint;
 *   <li>without a checkpoint, or when it fell off the history (expired snapshots), fill a new key
 *       generation from the current snapshot and switch readers to it once it is complete.
 * </ol>
 *
 * A failed cycle leaves the checkpoint where it was, so the next one redoes the range: writes are
 * idempotent, nothing is skipped. The loop backs off while cycles fail (memcached or the catalog
 * down) and recovers by itself.
 */
public final class SnapshotFollower {

  private static final Logger LOG = LoggerFactory.getLogger(SnapshotFollower.class);
  private static final long RENEW_EVERY_NANOS = 500_000_000L;

  private final Table table;
  private final String tableName;
  private final TableChangeReader reader;
  private final Supplier<OnlineStoreWriter> writers;
  private final OnlineStoreSentinels sentinels;
  private final CheckpointStore checkpoints;
  private final Leadership leadership;
  private final AtomicLong leader = new AtomicLong();
  private long lastRenewalNanos;
  private final Counter rowsSet;
  private final Counter rowsDeleted;
  private final Counter rowsSkipped;
  private final Counter fullResyncs;
  private final Counter failures;
  private final Counter rewarms;
  private final Timer rewarmTime;
  private final Timer cycleTime;
  private final AtomicLong generation = new AtomicLong();
  private long filling;
  private long fillingTarget;
  private final AtomicLong lagSnapshots = new AtomicLong();
  // when the oldest snapshot not yet in memcached was committed (0: caught up); the gauge ages it
  // at each scrape,
  // so lag keeps growing while cycles fail
  private final AtomicLong lagSinceMillis = new AtomicLong();
  private final AtomicLong lastSuccessEpochMillis = new AtomicLong();
  private int consecutiveFailures;

  public SnapshotFollower(
      Table table,
      String tableName,
      Supplier<OnlineStoreWriter> writers,
      OnlineStoreSentinels sentinels,
      CheckpointStore checkpoints,
      Leadership leadership,
      MeterRegistry meters) {
    this.table = table;
    this.tableName = tableName;
    this.reader = new TableChangeReader(table);
    this.writers = writers;
    this.sentinels = sentinels;
    this.checkpoints = checkpoints;
    this.leadership = leadership;
    this.rowsSet = meters.counter("featurestore.replicator.rows.set");
    this.rowsDeleted = meters.counter("featurestore.replicator.rows.deleted");
    this.rowsSkipped = meters.counter("featurestore.replicator.rows.skipped");
    this.fullResyncs = meters.counter("featurestore.replicator.full.resyncs");
    this.failures = meters.counter("featurestore.replicator.cycle.failures");
    this.rewarms = meters.counter("featurestore.replicator.rewarms");
    this.rewarmTime = meters.timer("featurestore.replicator.rewarm.time");
    this.cycleTime = meters.timer("featurestore.replicator.cycle.time");
    meters.gauge("featurestore.replicator.leader", leader);
    meters.gauge("featurestore.replicator.generation", generation);
    meters.gauge("featurestore.replicator.lag.snapshots", lagSnapshots);
    meters.gauge(
        "featurestore.replicator.lag.seconds",
        lagSinceMillis,
        v -> v.get() == 0 ? 0 : Math.max(0, System.currentTimeMillis() - v.get()) / 1000.0);
    meters.gauge(
        "featurestore.replicator.last.success", lastSuccessEpochMillis, v -> v.get() / 1000.0);
  }

  /**
   * Runs the cycle's code paths once on a scratch table (see {@link ReplicationWarmUp}). Never
   * throws: a memcached that is down at start is the cycles' business (they retry and report it),
   * not a reason not to start.
   */
  public void warmUp() {
    try {
      LOG.info(
          "Warmed up the replication path in {} ms", ReplicationWarmUp.run(writers).toMillis());
    } catch (RuntimeException e) {
      LOG.warn(
          "Could not warm up the replication path (the first cycles may be slow): {}",
          e.toString());
    }
  }

  /**
   * Runs one cycle; returns the number of keys set or deleted. Never throws: failures are logged
   * and counted.
   */
  public long runOnce() {
    try {
      long changed = cycleTime.recordCallable(this::replicate);
      consecutiveFailures = 0;
      lastSuccessEpochMillis.set(System.currentTimeMillis());
      return changed;
    } catch (Exception e) {
      failures.increment();
      consecutiveFailures++;
      LOG.warn("Replication cycle failed, will retry from the same checkpoint: {}", e.toString());
      return 0;
    }
  }

  /** Failed cycles in a row (0 after a success), for the loop's back-off. */
  public int consecutiveFailures() {
    return consecutiveFailures;
  }

  /** Gives the lease up so that a standby takes over at once (graceful stop). */
  public void release() {
    if (leader.get() == 1) {
      leadership.release(tableName);
      stepDown();
    }
  }

  public boolean isLeader() {
    return leader.get() == 1;
  }

  private long replicate() {
    // a leader renews twice a second (lease TTLs are seconds), not every cycle: idle polling stays
    // cheap
    if (leader.get() == 0 || System.nanoTime() - lastRenewalNanos > RENEW_EVERY_NANOS) {
      if (!leadership.acquireOrRenew(tableName)) {
        stepDown();
        return 0;
      }
      leader.set(1);
      lastRenewalNanos = System.nanoTime();
    }
    table.refresh();
    Snapshot current = table.currentSnapshot();
    Checkpoint checkpoint = checkpoints.load(tableName);
    if (current == null || checkpoint.isAt(current.snapshotId())) {
      caughtUp();
    } else {
      updateLag(current, checkpoint.snapshotId());
    }
    if (!checkpoint.hasGeneration()) {
      return resync(checkpoint, current, "no generation is complete yet");
    }
    generation.set(checkpoint.generation());
    long changed = healServers(checkpoint);
    if (current == null || checkpoint.isAt(current.snapshotId())) {
      return changed;
    }
    TableChangeReader.Plan plan =
        reader.plan(
            checkpoint.snapshotId().isPresent() ? checkpoint.snapshotId().getAsLong() : null,
            current);
    // a checkpoint of the empty table needs no new generation: nothing it could have missed was
    // ever served
    if (plan.fullResync() && checkpoint.snapshotId().isPresent()) {
      return changed
          + resync(
              checkpoint,
              current,
              "checkpoint "
                  + checkpoint.snapshotId().getAsLong()
                  + " fell off the table's history");
    }
    OnlineStoreWriter writer = writers.get().inGeneration(checkpoint.generation());
    ChangeStream.apply(reader, plan.changes(), writer, this::renewDuringLongCycles);
    writer.flush();
    moveCheckpoint(
        checkpoint, new Checkpoint(OptionalLong.of(current.snapshotId()), checkpoint.generation()));
    // caught up with the snapshot this cycle read; one committed since counts from the next cycle
    // (100 ms)
    caughtUp();
    count(writer);
    LOG.debug(
        "Replicated {} sets and {} deletes up to snapshot {}",
        writer.written(),
        writer.deleted(),
        current.snapshotId());
    return changed + writer.written() + writer.deleted();
  }

  /**
   * Copies every live row of {@code current} into a fresh key generation and switches readers to it
   * only once it is complete on every server: ids deleted in snapshots that expired before this
   * replicator read them stay behind in the old generation, which nobody reads any more (memcached
   * evicts it as memory is needed).
   */
  private long resync(Checkpoint loaded, Snapshot current, String reason) {
    long start = System.nanoTime();
    long target = current == null ? -1 : current.snapshotId();
    // a retry of a failed fill of the same snapshot (memcached flapping) refills the same
    // generation, rather than
    // claiming a new one and leaving one more partial copy in memcached each time
    if (filling == 0 || fillingTarget != target) {
      filling = checkpoints.claimGeneration(tableName).orElseThrow(this::lostLease);
      fillingTarget = target;
    }
    long fresh = filling;
    LOG.info("Full resync of {} into generation {}: {}", tableName, fresh, reason);
    fullResyncs.increment();
    Set<SocketAddress> servers = sentinels.servers();
    sentinels.beginWarming(servers, fresh);
    OnlineStoreWriter writer = writers.get().inGeneration(fresh);
    if (current != null) {
      ChangeStream.apply(
          reader, reader.plan(null, current).changes(), writer, this::renewDuringLongCycles);
    }
    writer.flush();
    // the checkpoint names the new generation first: should publishing fail, the next cycle
    // republishes it
    moveCheckpoint(loaded, Checkpoint.of(current == null ? null : current.snapshotId(), fresh));
    filling = 0;
    sentinels.publishWarm(servers, fresh);
    generation.set(fresh);
    count(writer);
    caughtUp();
    LOG.info(
        "Generation {} of {} complete: {} keys in {} ms",
        fresh,
        tableName,
        writer.written(),
        (System.nanoTime() - start) / 1_000_000);
    return writer.written() + writer.deleted();
  }

  private void moveCheckpoint(Checkpoint loaded, Checkpoint next) {
    if (!checkpoints.save(tableName, loaded, next)) {
      throw lostLease();
    }
  }

  private IllegalStateException lostLease() {
    stepDown();
    return new IllegalStateException(
        "Lost the lease of "
            + tableName
            + " (or another replicator moved the checkpoint); checkpoint not moved");
  }

  private void count(OnlineStoreWriter writer) {
    rowsSet.increment((double) writer.written());
    rowsDeleted.increment((double) writer.deleted());
    rowsSkipped.increment((double) writer.skipped());
  }

  /**
   * Servers that lost their data get the state of the checkpoint's snapshot back (only their share
   * of the keys); the incremental step that follows brings them, with the others, to the current
   * snapshot. Servers whose sentinel names another generation than the checkpoint's (a publish that
   * failed half-way) are republished if their warming marker shows they hold it, and re-warmed
   * otherwise. When the checkpoint's snapshot expired the full resync of this cycle warms
   * everything anyway.
   */
  private long healServers(Checkpoint checkpoint) {
    Map<SocketAddress, Long> published = sentinels.published();
    Set<SocketAddress> cold = sentinels.cold(published);
    Set<SocketAddress> stale = new HashSet<>();
    published.forEach(
        (server, generation) -> {
          if (generation != checkpoint.generation()) {
            stale.add(server);
          }
        });
    if (!stale.isEmpty()) {
      // a publish that failed half-way (or a reset of this state): a server whose warming marker
      // still names the
      // checkpoint's generation holds it completely; any other is re-warmed
      Set<SocketAddress> lost = sentinels.notWarming(stale, checkpoint.generation());
      stale.removeAll(lost);
      cold.addAll(lost);
      if (!stale.isEmpty()) {
        sentinels.republish(stale, checkpoint.generation());
      }
    }
    Snapshot warmAt =
        checkpoint.snapshotId().isPresent()
            ? table.snapshot(checkpoint.snapshotId().getAsLong())
            : null;
    if (cold.isEmpty() || (warmAt == null && checkpoint.snapshotId().isPresent())) {
      return 0;
    }
    long start = System.nanoTime();
    LOG.info(
        "memcached {} came back empty: re-warming its keys of generation {}",
        cold,
        checkpoint.generation());
    sentinels.beginWarming(cold, checkpoint.generation());
    OnlineStoreWriter writer =
        writers.get().inGeneration(checkpoint.generation()).onlyKeys(sentinels.keysOn(cold));
    if (warmAt != null) {
      ChangeStream.apply(
          reader, reader.plan(null, warmAt).changes(), writer, this::renewDuringLongCycles);
    }
    writer.flush();
    sentinels.publishWarm(cold, checkpoint.generation());
    rewarms.increment();
    rewarmTime.record(System.nanoTime() - start, java.util.concurrent.TimeUnit.NANOSECONDS);
    rowsSet.increment((double) writer.written());
    LOG.info(
        "Re-warmed {} keys on {} in {} ms",
        writer.written(),
        cold,
        (System.nanoTime() - start) / 1_000_000);
    return writer.written();
  }

  /**
   * A full resync can outlast the lease: keep renewing it, and stop writing the moment it is lost.
   */
  private void renewDuringLongCycles() {
    if (System.nanoTime() - lastRenewalNanos > RENEW_EVERY_NANOS) {
      if (!leadership.acquireOrRenew(tableName)) {
        stepDown();
        throw new IllegalStateException("Lost the lease of " + tableName + " during a cycle");
      }
      lastRenewalNanos = System.nanoTime();
    }
  }

  /** Snapshots not yet mirrored, and how long ago the oldest of them was committed. */
  private void updateLag(Snapshot current, OptionalLong checkpoint) {
    long count = 0;
    Snapshot oldest = current;
    for (Snapshot s = current; s != null; count++) {
      if (checkpoint.isPresent() && s.snapshotId() == checkpoint.getAsLong()) {
        break;
      }
      oldest = s;
      s = s.parentId() == null ? null : table.snapshot(s.parentId());
    }
    lagSnapshots.set(count);
    lagSinceMillis.set(Math.max(1, oldest.timestampMillis()));
  }

  private void caughtUp() {
    lagSnapshots.set(0);
    lagSinceMillis.set(0);
  }

  /**
   * Not the leader (any more): a standby reports no lag of its own; the leader's, or the no-leader
   * alert, count.
   */
  private void stepDown() {
    leader.set(0);
    caughtUp();
  }
}
