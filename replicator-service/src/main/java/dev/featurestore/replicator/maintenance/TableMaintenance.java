package dev.featurestore.replicator.maintenance;

import dev.featurestore.replicator.checkpoint.CheckpointStore;
import dev.featurestore.replicator.checkpoint.Leadership;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Clock;
import java.time.Duration;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.ReentrantLock;
import org.apache.iceberg.Snapshot;
import org.apache.iceberg.Table;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The offline store's upkeep, in order: compact small data files (deletes applied), rewrite
 * manifests, expire old snapshots (deleting the files only they referenced), remove orphan files.
 *
 * <p>Exactly one process maintains a table at a time: a run holds the table's maintenance lease
 * (the replicators' lease table, a row of its own), renewed while it runs; a run that loses it
 * stops before its next commit. Every step commits through Iceberg's optimistic concurrency, so
 * writers keep committing throughout.
 */
public final class TableMaintenance {

  private static final Logger LOG = LoggerFactory.getLogger(TableMaintenance.class);
  private static final String LEASE_SUFFIX = "#maintenance";

  private final Table table;
  private final String tableName;
  private final CheckpointStore checkpoints;
  private final Leadership leases;
  private final Duration leaseRenewal;
  private final Clock clock;
  private final ReentrantLock running = new ReentrantLock();
  private final ScheduledExecutorService renewals =
      Executors.newSingleThreadScheduledExecutor(
          runnable -> {
            Thread thread = new Thread(runnable, "featurestore-maintenance-lease");
            thread.setDaemon(true);
            return thread;
          });
  private final Counter succeeded;
  private final Counter failed;
  private final AtomicReference<TableHealth> health = new AtomicReference<>();
  private volatile long lastSuccessMillis;

  /** Another process holds the maintenance lease, or this one lost it mid-run. */
  public static final class LeaseUnavailableException extends RuntimeException {
    LeaseUnavailableException(String message) {
      super(message);
    }
  }

  public TableMaintenance(
      Table table,
      String tableName,
      CheckpointStore checkpoints,
      Leadership leases,
      Duration leaseTtl,
      Clock clock,
      MeterRegistry meters) {
    this.table = table;
    this.tableName = tableName;
    this.checkpoints = checkpoints;
    this.leases = leases;
    this.leaseRenewal = leaseTtl.dividedBy(3);
    this.clock = clock;
    this.succeeded = meters.counter("featurestore.maintenance.runs", "outcome", "success");
    this.failed = meters.counter("featurestore.maintenance.runs", "outcome", "failure");
    Gauge.builder(
            "featurestore.maintenance.last.success",
            this,
            maintenance -> maintenance.lastSuccessMillis / 1000.0)
        .description(
            "When maintenance last succeeded on this table (Unix seconds; 0: not since this process started)")
        .baseUnit("seconds")
        .register(meters);
    gauge(
        meters,
        "featurestore.table.snapshots",
        "Snapshots in the table's history",
        "snapshots",
        TableHealth::snapshots);
    gauge(
        meters,
        "featurestore.table.data.files",
        "Live data files",
        "files",
        TableHealth::dataFiles);
    gauge(
        meters,
        "featurestore.table.files.bytes",
        "Bytes of the live data and delete files",
        "bytes",
        TableHealth::fileBytes);
    gauge(
        meters,
        "featurestore.table.data.file.mean.bytes",
        "Mean size of a live data file",
        "bytes",
        TableHealth::meanDataFileBytes);
    gauge(
        meters,
        "featurestore.table.delete.files",
        "Live delete files",
        "files",
        TableHealth::deleteFiles);
    gauge(
        meters,
        "featurestore.table.metadata.json.bytes",
        "Size of the current metadata file, rewritten by every commit",
        "bytes",
        TableHealth::metadataJsonBytes);
  }

  private void gauge(
      MeterRegistry meters,
      String name,
      String description,
      String unit,
      java.util.function.ToDoubleFunction<TableHealth> figure) {
    Gauge.builder(
            name,
            health,
            current -> current.get() == null ? Double.NaN : figure.applyAsDouble(current.get()))
        .description(description + " (as of the last maintenance run or health check)")
        .baseUnit(unit)
        .register(meters);
  }

  /**
   * Runs every step once; throws {@link LeaseUnavailableException} when another process is
   * maintaining the table.
   */
  public MaintenanceReport run(MaintenanceOptions options) {
    return run(options, true);
  }

  /**
   * Runs the steps once, the orphan sweep only if {@code removeOrphans}: it lists the whole table
   * location, which on object storage is worth doing once per interval, not on every early run.
   */
  public MaintenanceReport run(MaintenanceOptions options, boolean removeOrphans) {
    if (!running.tryLock()) {
      throw new LeaseUnavailableException(
          "Maintenance of " + tableName + " is already running in this process");
    }
    String lease = tableName + LEASE_SUFFIX;
    try {
      if (!leases.acquireOrRenew(lease)) {
        throw new LeaseUnavailableException(
            "Another process is maintaining " + tableName + " (lease " + lease + ")");
      }
      AtomicReference<String> lost = new AtomicReference<>();
      ScheduledFuture<?> renewal =
          renewals.scheduleWithFixedDelay(
              () -> {
                if (!leases.acquireOrRenew(lease)) {
                  lost.compareAndSet(null, "the maintenance lease of " + tableName + " was lost");
                }
              },
              leaseRenewal.toMillis(),
              leaseRenewal.toMillis(),
              TimeUnit.MILLISECONDS);
      Runnable checkLease =
          () -> {
            if (lost.get() != null) {
              throw new LeaseUnavailableException(lost.get());
            }
          };
      try {
        MaintenanceReport report = steps(options, removeOrphans, checkLease);
        succeeded.increment();
        lastSuccessMillis = clock.millis();
        LOG.info("Maintenance of {}:\n{}", tableName, report.toText());
        return report;
      } catch (RuntimeException e) {
        failed.increment();
        throw e;
      } finally {
        renewal.cancel(false);
        leases.release(lease);
      }
    } finally {
      running.unlock();
    }
  }

  private MaintenanceReport steps(
      MaintenanceOptions options, boolean removeOrphans, Runnable checkLease) {
    long started = clock.millis();
    table.refresh();
    TableHealth before = TableHealth.of(table);
    Snapshot start = table.currentSnapshot();
    DataFileCompaction compaction =
        new DataFileCompaction(table, options.targetFileBytes(), options.smallFileBytes());
    MaintenanceReport.Compaction compacted =
        start == null ? MaintenanceReport.Compaction.NONE : compaction.run(start, checkLease);
    checkLease.run();
    ManifestRewrite.Result manifests = new ManifestRewrite(table).run();
    checkLease.run();
    SnapshotExpiry.Result expired =
        new SnapshotExpiry(table, tableName, checkpoints)
            .expire(
                clock.millis(),
                options.snapshotRetention(),
                options.maxSnapshots(),
                options.checkpointMaxAge());
    checkLease.run();
    MaintenanceReport.Orphans orphans =
        removeOrphans
            ? new OrphanFiles(table).remove(clock.millis() - options.orphanMinAge().toMillis())
            : MaintenanceReport.Orphans.NONE;
    table.refresh();
    TableHealth after = TableHealth.of(table);
    health.set(after);
    return new MaintenanceReport(
        compacted,
        manifests.before(),
        manifests.after(),
        expired.snapshots(),
        expired.filesDeleted(),
        orphans,
        before,
        after,
        Duration.ofMillis(clock.millis() - started));
  }

  /** Whether a run is in progress in this process. */
  public boolean isRunning() {
    return running.isLocked();
  }

  /**
   * Reads the table's figures for the gauges without maintaining it (a standby, or between runs).
   */
  public TableHealth observe() {
    table.refresh();
    TableHealth now = TableHealth.of(table);
    health.set(now);
    return now;
  }

  public void close() {
    renewals.shutdownNow();
  }
}
