package dev.featurestore.memcached;

import static org.assertj.core.api.Assertions.assertThat;

import dev.featurestore.memcached.testing.MemcachedServer;
import dev.featurestore.testing.Ports;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.function.BooleanSupplier;
import net.spy.memcached.MemcachedClient;
import org.junit.jupiter.api.Test;

/**
 * Against real memcached servers: one running, one absent, then the running one stopped and
 * restarted.
 */
class MemcachedAvailabilityIT {

  @Test
  void reportsEachServerAndFollowsItGoingAwayAndComingBack() throws Exception {
    int absentPort = Ports.free();
    try (MemcachedServer up = MemcachedServer.start()) {
      String absent = "127.0.0.1:" + absentPort;
      MemcachedClient client =
          MemcachedClients.connect(
              new MemcachedSettings(List.of(up.address(), absent), Duration.ofMillis(200), null));
      try {
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        MemcachedAvailability availability = MemcachedAvailability.of(client).bindTo(registry);

        await(() -> availability.servers().get(up.address()), "connected to " + up.address());
        assertThat(availability.servers())
            .containsExactlyInAnyOrderEntriesOf(Map.of(up.address(), true, absent, false));
        assertThat(availability.anyAvailable()).isTrue();
        assertThat(availability.allAvailable()).isFalse();
        assertThat(gauge(registry, up.address())).isEqualTo(1.0);
        assertThat(gauge(registry, absent)).isEqualTo(0.0);

        up.stop();
        // spymemcached notices a closed connection when it next reads from it, as the services do
        // every 100 ms
        await(
            () -> !touchEveryServer(client) && !availability.anyAvailable(),
            "no server available after the stop");
        assertThat(gauge(registry, up.address())).isEqualTo(0.0);

        up.restart();
        await(() -> availability.servers().get(up.address()), "reconnected to " + up.address());
        assertThat(gauge(registry, up.address())).isEqualTo(1.0);
      } finally {
        client.shutdown();
      }
    }
  }

  /**
   * Gets for enough keys that every server of the ring is sent one; false, so it can lead a
   * condition.
   */
  // the gets are only for their side effect on the connections: their answers do not matter
  @SuppressWarnings("FutureReturnValueIgnored")
  private static boolean touchEveryServer(MemcachedClient client) {
    for (int i = 0; i < 32; i++) {
      client.asyncGet("probe-" + i, MemcachedClients.RAW_BYTES);
    }
    return false;
  }

  @Test
  void aServerThatHangsWithItsConnectionOpenIsUnavailableAfterItMissesThreeProbes()
      throws Exception {
    try (MemcachedServer server = MemcachedServer.start()) {
      MemcachedClient client =
          MemcachedClients.connect(
              new MemcachedSettings(List.of(server.address()), Duration.ofMillis(200), null));
      try (MemcachedAvailability availability =
          MemcachedAvailability.of(client).probeEvery(Duration.ofMillis(100))) {
        await(availability::allAvailable, "connected");
        server.pause();
        await(
            () -> !availability.anyAvailable(),
            "unavailable while stopped (SIGSTOP), its connection still open");
        assertThat(client.getAvailableServers())
            .as("spymemcached itself still counts it as connected")
            .hasSize(1);
        server.resume();
        await(availability::allAvailable, "available again after SIGCONT");
      } finally {
        client.shutdown();
      }
    }
  }

  private static double gauge(SimpleMeterRegistry registry, String server) {
    return registry.get(MemcachedAvailability.GAUGE).tag("server", server).gauge().value();
  }

  private static void await(BooleanSupplier condition, String what) throws InterruptedException {
    long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
    while (!condition.getAsBoolean()) {
      assertThat(System.nanoTime()).as("waiting for: %s", what).isLessThan(deadline);
      Thread.sleep(50);
    }
  }
}
