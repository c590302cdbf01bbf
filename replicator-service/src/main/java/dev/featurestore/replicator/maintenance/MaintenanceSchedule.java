package dev.featurestore.replicator.maintenance;

import java.time.Duration;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.context.SmartLifecycle;

/**
 * Runs {@link TableMaintenance} every {@code interval} in the replicator. Every replicator tries; the maintenance
 * lease lets one at a time through, and the others only refresh the table's figures for their gauges.
 */
public final class MaintenanceSchedule implements SmartLifecycle {

  private static final Logger LOG = LoggerFactory.getLogger(MaintenanceSchedule.class);

  private static final Duration FIRST_RUN_AFTER = Duration.ofMinutes(1);

  private final TableMaintenance maintenance;
  private final MaintenanceOptions options;
  private final Duration interval;
  private ScheduledExecutorService executor;

  public MaintenanceSchedule(TableMaintenance maintenance, MaintenanceOptions options, Duration interval) {
    this.maintenance = maintenance;
    this.options = options;
    this.interval = interval;
  }

  @Override
  public synchronized void start() {
    executor = Executors.newSingleThreadScheduledExecutor(runnable -> new Thread(runnable, "featurestore-maintenance"));
    // the table's figures at once (gauges and alerts have data), the first run soon after a start
    executor.execute(this::observe);
    long first = Math.min(interval.toMillis(), FIRST_RUN_AFTER.toMillis());
    executor.scheduleWithFixedDelay(this::runOnce, first, interval.toMillis(), TimeUnit.MILLISECONDS);
  }

  private void runOnce() {
    try {
      maintenance.run(options);
    } catch (TableMaintenance.LeaseUnavailableException e) {
      LOG.debug("Maintenance skipped: {}", e.getMessage());
      observe();
    } catch (RuntimeException e) {
      LOG.warn("Maintenance failed; next run in {}: {}", interval, e.toString());
    }
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
