package dev.featurestore.replicator.maintenance;

import java.time.Duration;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.context.SmartLifecycle;

/**
 * Runs {@link TableMaintenance} every {@code interval} in the replicator, and early (without the
 * orphan sweep) when a check every {@link #CHECK_EVERY} finds more snapshots than the options keep:
 * at the writers' full commit rate an interval's snapshots alone would outgrow the metadata bound.
 * Every replicator tries; the maintenance lease lets one at a time through, and the others only
 * refresh the table's figures for their gauges.
 */
public final class MaintenanceSchedule implements SmartLifecycle {

  private static final Logger LOG = LoggerFactory.getLogger(MaintenanceSchedule.class);

  private static final Duration FIRST_RUN_AFTER = Duration.ofMinutes(1);
  static final Duration CHECK_EVERY = Duration.ofSeconds(10);

  private final TableMaintenance maintenance;
  private final MaintenanceOptions options;
  private final Duration interval;
  private ScheduledExecutorService executor;
  private boolean heldBack;

  public MaintenanceSchedule(
      TableMaintenance maintenance, MaintenanceOptions options, Duration interval) {
    this.maintenance = maintenance;
    this.options = options;
    this.interval = interval;
  }

  // each task reports its own failures and stop() cancels them with the executor: no one reads
  // the periodic futures
  @Override
  @SuppressWarnings("FutureReturnValueIgnored")
  public synchronized void start() {
    executor =
        Executors.newSingleThreadScheduledExecutor(
            runnable -> new Thread(runnable, "featurestore-maintenance"));
    // the table's figures at once (gauges and alerts have data), the first run soon after a start
    executor.execute(this::observe);
    long first = Math.min(interval.toMillis(), FIRST_RUN_AFTER.toMillis());
    executor.scheduleWithFixedDelay(
        () -> runOnce(true), first, interval.toMillis(), TimeUnit.MILLISECONDS);
    executor.scheduleWithFixedDelay(
        this::runIfTooManySnapshots,
        CHECK_EVERY.toMillis(),
        CHECK_EVERY.toMillis(),
        TimeUnit.MILLISECONDS);
  }

  private void runIfTooManySnapshots() {
    try {
      // a fifth over the bound before running early, and not again while something (a lagging
      // replicator's
      // checkpoint) kept the last early run from expiring anything: the scheduled run tries again
      if (!heldBack
          && maintenance.observe().snapshots()
              > options.maxSnapshots() + options.maxSnapshots() / 5) {
        MaintenanceReport report = runOnce(false);
        // commits land during the run, so the count after it may be above the bound again: held
        // back means the run
        // could expire nothing
        heldBack = report != null && report.snapshotsExpired() == 0;
      }
    } catch (RuntimeException e) {
      LOG.debug("Cannot read the table's figures: {}", e.toString());
    }
  }

  private MaintenanceReport runOnce(boolean removeOrphans) {
    try {
      MaintenanceReport report = maintenance.run(options, removeOrphans);
      if (removeOrphans) {
        heldBack = false;
      }
      return report;
    } catch (TableMaintenance.LeaseUnavailableException e) {
      LOG.debug("Maintenance skipped: {}", e.getMessage());
      observe();
    } catch (RuntimeException e) {
      LOG.warn("Maintenance failed; next run in {}: {}", interval, e.toString());
    }
    return null;
  }

  private void observe() {
    try {
      maintenance.observe();
    } catch (RuntimeException e) {
      LOG.debug("Cannot read the table's figures: {}", e.toString());
    }
  }

  @Override
  public synchronized void stop() {
    if (executor != null) {
      executor.shutdownNow();
      try {
        executor.awaitTermination(30, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      executor = null;
    }
    maintenance.close();
  }

  @Override
  public synchronized boolean isRunning() {
    return executor != null;
  }
}
