package dev.featurestore.replicator.sync;

import java.time.Duration;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import org.springframework.context.SmartLifecycle;

/**
 * Runs {@link SnapshotFollower#runOnce()} on one thread with a fixed pause between cycles. Starts
 * after the web server (late lifecycle phase), so health is UP before a first, possibly long, full
 * resync; stops first.
 */
public final class ReplicationLoop implements SmartLifecycle {

  private static final long MAX_BACK_OFF_MILLIS = 5_000;

  private final SnapshotFollower follower;
  private final Duration pollInterval;
  private volatile ScheduledExecutorService executor;

  public ReplicationLoop(SnapshotFollower follower, Duration pollInterval) {
    this.follower = follower;
    this.pollInterval = pollInterval;
  }

  @Override
  public synchronized void start() {
    // before the readiness probe turns UP (the context's lifecycle starts before the application is
    // ready)
    follower.warmUp();
    ScheduledThreadPoolExecutor loop =
        new ScheduledThreadPoolExecutor(
            1,
            runnable -> {
              Thread thread = new Thread(runnable, "replicator");
              thread.setDaemon(true);
              return thread;
            });
    // on stop, the cycle in progress finishes; the next one never starts
    loop.setExecuteExistingDelayedTasksAfterShutdownPolicy(false);
    executor = loop;
    scheduleCycle(loop, 0);
  }

  /**
   * One cycle, then the next: after the poll interval, or backing off (up to 5 s) while cycles
   * fail.
   */
  private void cycle() {
    try {
      follower.runOnce();
    } finally {
      // even after an Error (runOnce reports every exception itself): a loop that stops silently is
      // an outage
      scheduleNext();
    }
  }

  private void scheduleNext() {
    int failures = follower.consecutiveFailures();
    long delay =
        failures == 0
            ? pollInterval.toMillis()
            : Math.min(pollInterval.toMillis() << Math.min(failures, 10), MAX_BACK_OFF_MILLIS);
    ScheduledExecutorService current = executor;
    if (current != null && !current.isShutdown()) {
      scheduleCycle(current, delay);
    }
  }

  // a cycle reports its own failures and schedules the next one; stop() drops the pending one
  @SuppressWarnings("FutureReturnValueIgnored")
  private void scheduleCycle(ScheduledExecutorService loop, long delayMillis) {
    loop.schedule(this::cycle, delayMillis, TimeUnit.MILLISECONDS);
  }

  @Override
  public synchronized void stop() {
    if (executor != null) {
      executor.shutdown();
      try {
        // let a running cycle finish its writes and checkpoint; it is safe to cut, but wasteful
        if (!executor.awaitTermination(10, TimeUnit.SECONDS)) {
          executor.shutdownNow();
        }
      } catch (InterruptedException e) {
        executor.shutdownNow();
        Thread.currentThread().interrupt();
      }
      executor = null;
    }
    follower.release();
  }

  @Override
  public synchronized boolean isRunning() {
    return executor != null;
  }

  @Override
  public int getPhase() {
    return Integer.MAX_VALUE - 1;
  }
}
