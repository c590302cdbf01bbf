package dev.featurestore.serving.features;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.featurestore.memcached.MemcachedClients;
import dev.featurestore.memcached.MemcachedSettings;
import dev.featurestore.memcached.testing.MemcachedServer;
import dev.featurestore.serving.EventLoops;
import dev.featurestore.serving.ServingProperties;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeUnit;
import net.spy.memcached.MemcachedClient;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

/**
 * The lookups' memcached client against two real memcached servers, written to by spymemcached as
 * the replicator does: same keys on the same servers, large values, a lost server, a frozen one.
 */
class EventLoopMemcachedIT {

  private static final MemcachedServer FIRST = MemcachedServer.start();
  private static final MemcachedServer SECOND = MemcachedServer.start();
  private static final MemcachedClient WRITER =
      MemcachedClients.connect(
          new MemcachedSettings(
              List.of(FIRST.address(), SECOND.address()), Duration.ofSeconds(10), null));
  private static final EventLoops LOOPS = new EventLoops(2);
  private static final ServingProperties.Lookups LIMITS =
      new ServingProperties.Lookups(100, 4, Duration.ofMillis(300), Duration.ofSeconds(10));

  @AfterAll
  static void stop() {
    WRITER.shutdown();
    LOOPS.close();
    FIRST.close();
    SECOND.close();
  }

  private static EventLoopMemcached reads() {
    return EventLoopMemcached.onTheRingOf(WRITER, LOOPS, LIMITS.maxInFlight());
  }

  private static Deadline deadline() {
    return Deadline.of(null, LIMITS);
  }

  @Test
  void readsWhatSpymemcachedWroteFromBothServersInOneGetOrOneMultiGetEach() throws Exception {
    Random random = new Random(17);
    Map<String, byte[]> stored = new java.util.HashMap<>();
    for (int i = 0; i < 40; i++) {
      // up to 300 KB: a value spans many reads of the connection
      byte[] value = new byte[1 + random.nextInt(i % 10 == 0 ? 300_000 : 2_000)];
      random.nextBytes(value);
      String key = "ketama-" + i;
      assertThat(WRITER.set(key, 0, value, MemcachedClients.RAW_BYTES).get()).isTrue();
      stored.put(key, value);
    }
    try (EventLoopMemcached reads = reads()) {
      for (Map.Entry<String, byte[]> entry : stored.entrySet()) {
        assertThat(reads.get(entry.getKey(), deadline()).get(5, TimeUnit.SECONDS))
            .as(entry.getKey())
            .isEqualTo(entry.getValue());
      }
      List<String> keys = new ArrayList<>(stored.keySet());
      keys.add("never-stored");
      Map<String, byte[]> all = reads.getAll(keys, deadline()).get(5, TimeUnit.SECONDS);
      assertThat(all).containsOnlyKeys(stored.keySet());
      stored.forEach((key, value) -> assertThat(all.get(key)).as(key).isEqualTo(value));
      assertThat(reads.get("never-stored", deadline()).get(5, TimeUnit.SECONDS)).isNull();
    }
  }

  @Test
  void aFrozenServerFailsItsGetsAtTheirDeadlineRefusesMoreThanTheLimitAndAnswersOnceThawed()
      throws Exception {
    String onFirst = keyOn(FIRST);
    assertThat(WRITER.set(onFirst, 0, new byte[] {7}, MemcachedClients.RAW_BYTES).get()).isTrue();
    try (EventLoopMemcached reads = reads()) {
      FIRST.pause();
      List<CompletableFuture<byte[]>> waiting = new ArrayList<>();
      long start = System.nanoTime();
      try {
        for (int i = 0; i < LIMITS.maxInFlight(); i++) {
          waiting.add(reads.get(onFirst, deadline()));
        }
        // callers outside the loops hand their gets over: wait until all of them are admitted
        while (reads.inFlight() < LIMITS.maxInFlight()) {
          Thread.onSpinWait();
        }
        assertThatThrownBy(() -> reads.get(onFirst, deadline()).join())
            .cause()
            .isInstanceOfSatisfying(
                FeatureLookup.OnlineStoreUnavailableException.class,
                e -> assertThat(e.kind()).isEqualTo(FeatureLookup.Kind.OVERLOADED));
        for (CompletableFuture<byte[]> get : waiting) {
          assertThatThrownBy(get::join)
              .isInstanceOf(CompletionException.class)
              .cause()
              .isInstanceOfSatisfying(
                  FeatureLookup.OnlineStoreUnavailableException.class,
                  e -> assertThat(e.kind()).isEqualTo(FeatureLookup.Kind.DEADLINE_EXCEEDED));
        }
        long tookMillis = (System.nanoTime() - start) / 1_000_000;
        assertThat(tookMillis).as("failed at the 300 ms deadline").isBetween(250L, 3_000L);
      } finally {
        FIRST.resume();
      }
      // the late answers to the expired gets are read and dropped: the next get pairs with its own
      assertThat(reads.get(onFirst, deadline()).get(5, TimeUnit.SECONDS)).containsExactly(7);
    }
  }

  @Test
  void aLostServerFailsOnlyItsKeysAtOnceAndIsReconnected() throws Exception {
    String onFirst = keyOn(FIRST);
    String onSecond = keyOn(SECOND);
    assertThat(WRITER.set(onFirst, 0, new byte[] {1}, MemcachedClients.RAW_BYTES).get()).isTrue();
    try (EventLoopMemcached reads = reads()) {
      SECOND.stop();
      try {
        long start = System.nanoTime();
        assertThatThrownBy(() -> reads.get(onSecond, deadline()).join())
            .cause()
            .isInstanceOfSatisfying(
                FeatureLookup.OnlineStoreUnavailableException.class,
                e -> {
                  assertThat(e.kind()).isEqualTo(FeatureLookup.Kind.UNAVAILABLE);
                  assertThat(e.getMessage()).contains(":" + SECOND.port());
                });
        assertThat((System.nanoTime() - start) / 1_000_000).isLessThan(250);
        assertThat(reads.get(onFirst, deadline()).get(5, TimeUnit.SECONDS)).containsExactly(1);
        assertThatThrownBy(() -> reads.getAll(List.of(onFirst, onSecond), deadline()).join())
            .cause()
            .isInstanceOf(FeatureLookup.OnlineStoreUnavailableException.class);
      } finally {
        SECOND.restart();
      }
      long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
      boolean back = false;
      while (!back && System.nanoTime() < until) {
        back = reads.connected(1) && reads.connected(0);
        Thread.sleep(50);
      }
      assertThat(back).as("reconnected to the restarted server").isTrue();
      assertThat(reads.get(onSecond, deadline()).get(5, TimeUnit.SECONDS)).isNull();
    }
  }

  private static String keyOn(MemcachedServer server) {
    for (int i = 0; ; i++) {
      String key = "placed-" + server.port() + "-" + i;
      if (WRITER
          .getNodeLocator()
          .getPrimary(key)
          .getSocketAddress()
          .toString()
          .endsWith(":" + server.port())) {
        return key;
      }
    }
  }
}
