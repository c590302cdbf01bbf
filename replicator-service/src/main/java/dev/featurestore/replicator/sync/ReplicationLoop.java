package dev.featurestore.replicator.sync;

import java.time.Duration;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.springframework.context.SmartLifecycle;

/**
 * Runs {@link SnapshotFollower#runOnce()} on one thread with a fixed pause between cycles. Starts after the web
 * server (late lifecycle phase), so health is UP before a first, possibly long, full resync; stops first.
 */
public final class ReplicationLoop implements SmartLifecycle {

  private final SnapshotFollower follower;
  private final Duration pollInterval;
  private ScheduledExecutorService executor;

  public ReplicationLoop(SnapshotFollower follower, Duration pollInterval) {
    this.follower = follower;
    this.pollInterval = pollInterval;
  }

  @Override
  public synchronized void start() {
    executor =
        Executors.newSingleThreadScheduledExecutor(
            runnable -> {
              Thread thread = new Thread(runnable, "replicator");
              thread.setDaemon(true);
              return thread;
            });
    executor.scheduleWithFixedDelay(follower::runOnce, 0, pollInterval.toMillis(), TimeUnit.MILLISECONDS);
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
