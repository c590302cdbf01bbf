package dev.featurestore.serving.bench;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;

/**
 * An open-loop load generator: request {@code i} is due at {@code start + i / rate}, whatever
 * happened to earlier requests, and its latency is measured from that due time, not from when it
 * was actually sent. A stall therefore counts against every request that should have been sent
 * during it (no coordinated omission). Requests are spread over {@code lanes} threads, each with
 * its own connection, lane {@code w} taking requests {@code w, w + lanes, ...}.
 */
public final class OpenLoopLoad {

  /**
   * One lane's connection: sends request {@code i} and waits for its answer; false if the answer
   * was an error.
   */
  public interface Lane extends AutoCloseable {
    boolean call(long i) throws Exception;

    @Override
    default void close() throws Exception {}
  }

  /** Latencies (µs, sorted) and error count of one run. */
  public record Result(long[] micros, long errors, double seconds) {
    public long percentile(double p) {
      if (micros.length == 0) {
        return -1;
      }
      int index = (int) Math.ceil(p / 100.0 * micros.length) - 1;
      return micros[Math.max(0, Math.min(micros.length - 1, index))];
    }

    public double achievedRate() {
      return micros.length / seconds;
    }

    public String summary() {
      return String.format(
          "p50 %d µs, p99 %d µs, p99.9 %d µs, max %d µs, %d errors, %.0f req/s",
          percentile(50),
          percentile(99),
          percentile(99.9),
          micros.length == 0 ? -1 : micros[micros.length - 1],
          errors,
          achievedRate());
    }
  }

  /** A lane factory (one per thread). */
  public interface Lanes {
    Lane open() throws Exception;
  }

  private OpenLoopLoad() {}

  /**
   * Runs {@code rate} requests/s for {@code seconds} after a warm-up (not recorded) of {@code
   * warmupSeconds}.
   */
  public static Result run(Lanes lanes, int laneCount, int rate, int warmupSeconds, int seconds)
      throws Exception {
    return run(lanes, laneCount, rate, warmupSeconds, seconds, () -> null);
  }

  /** {@code afterWarmup} runs between the warm-up and the measured seconds. */
  public static Result run(
      Lanes lanes,
      int laneCount,
      int rate,
      int warmupSeconds,
      int seconds,
      java.util.concurrent.Callable<?> afterWarmup)
      throws Exception {
    run(lanes, laneCount, rate, warmupSeconds, null);
    afterWarmup.call();
    return run(lanes, laneCount, rate, seconds, new long[(int) ((long) rate * seconds)]);
  }

  private static Result run(Lanes lanes, int laneCount, int rate, int seconds, long[] record)
      throws Exception {
    long total = (long) rate * seconds;
    double intervalNanos = TimeUnit.SECONDS.toNanos(1) / (double) rate;
    AtomicLong errors = new AtomicLong();
    List<Thread> threads = new ArrayList<>();
    List<Exception> failures = java.util.Collections.synchronizedList(new ArrayList<>());
    long start = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(50);
    for (int w = 0; w < laneCount; w++) {
      int lane = w;
      Thread thread =
          new Thread(
              () -> {
                try (Lane connection = lanes.open()) {
                  for (long i = lane; i < total; i += laneCount) {
                    long due = start + (long) (i * intervalNanos);
                    long wait = due - System.nanoTime();
                    if (wait > 0) {
                      LockSupport.parkNanos(wait);
                      while (System.nanoTime() < due) {
                        Thread.onSpinWait();
                      }
                    }
                    boolean ok = connection.call(i);
                    long micros = (System.nanoTime() - due) / 1000;
                    if (!ok) {
                      errors.incrementAndGet();
                    }
                    if (record != null) {
                      record[(int) i] = micros;
                    }
                  }
                } catch (Exception e) {
                  failures.add(e);
                }
              },
              "load-" + lane);
      thread.setDaemon(true);
      threads.add(thread);
      thread.start();
    }
    for (Thread thread : threads) {
      thread.join();
    }
    double elapsed = (System.nanoTime() - start) / 1e9;
    if (!failures.isEmpty()) {
      throw failures.get(0);
    }
    long[] sorted = record == null ? new long[0] : record.clone();
    Arrays.sort(sorted);
    return new Result(sorted, errors.get(), elapsed);
  }
}
