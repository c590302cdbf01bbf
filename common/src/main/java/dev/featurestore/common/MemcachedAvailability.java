package dev.featurestore.common;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import net.spy.memcached.MemcachedClient;
import net.spy.memcached.MemcachedNode;

/**
 * Which memcached servers answer right now, as the replicator and the serving API report it: a gauge
 * {@code featurestore_memcached_available{server}} (1 available, 0 not) and the readiness check.
 *
 * <p>A server is available while spymemcached holds an open connection to it (not between reconnect attempts) and
 * it answered at least one of the last {@value #MISSES_BEFORE_UNAVAILABLE} probes. A server that closes its
 * connections (crash, restart) is noticed at the next request to it, within about a second since both services talk
 * to every server several times a second. One that hangs with its connections open (a stopped process, a network
 * partition) answers no probe: it is unavailable after {@value #MISSES_BEFORE_UNAVAILABLE} probes, a few seconds with
 * the services' one-second probe. The probe is a {@code version} request per server, within the client's operation
 * timeout; several misses in a row are needed so that one slow answer on a busy machine does not flap readiness.
 */
public final class MemcachedAvailability implements AutoCloseable {

  public static final String GAUGE = "featurestore.memcached.available";
  static final int MISSES_BEFORE_UNAVAILABLE = 3;

  private final MemcachedClient client;
  private final List<MemcachedNode> nodes;
  private final Map<SocketAddress, AtomicInteger> missedProbes = new ConcurrentHashMap<>();
  private ScheduledExecutorService prober;

  private MemcachedAvailability(MemcachedClient client, List<MemcachedNode> nodes) {
    this.client = client;
    this.nodes = nodes;
    nodes.forEach(node -> missedProbes.put(node.getSocketAddress(), new AtomicInteger()));
  }

  /** The servers of {@code client}; the nodes are read once (the ring does not change after the client is built). */
  public static MemcachedAvailability of(MemcachedClient client) {
    // the read-only copy's nodes delegate isActive() to the client's live nodes
    return new MemcachedAvailability(client, List.copyOf(client.getNodeLocator().getAll()));
  }

  /** Probes every server every {@code interval} on a daemon thread of its own, until {@link #close()}. */
  public synchronized MemcachedAvailability probeEvery(Duration interval) {
    Preconditions.checkArgument(prober == null, "Already probing: %s", this);
    prober = Executors.newSingleThreadScheduledExecutor(task -> {
      Thread thread = new Thread(task, "memcached-availability-probe");
      thread.setDaemon(true);
      return thread;
    });
    prober.scheduleWithFixedDelay(this::probe, 0, interval.toMillis(), TimeUnit.MILLISECONDS);
    return this;
  }

  /** One {@code version} request to every server; a server that does not answer within the timeout missed it. */
  void probe() {
    Map<SocketAddress, String> answered;
    try {
      answered = client.getVersions();
    } catch (RuntimeException e) {
      answered = Map.of();
    }
    for (Map.Entry<SocketAddress, AtomicInteger> server : missedProbes.entrySet()) {
      if (answered.containsKey(server.getKey())) {
        server.getValue().set(0);
      } else {
        server.getValue().incrementAndGet();
      }
    }
  }

  private boolean available(MemcachedNode node) {
    return node.isActive() && missedProbes.get(node.getSocketAddress()).get() < MISSES_BEFORE_UNAVAILABLE;
  }

  @Override
  public synchronized void close() {
    if (prober != null) {
      prober.shutdownNow();
      prober = null;
    }
  }

  /** Each server as {@code host:port}, in ring order, with whether it is connected. */
  public Map<String, Boolean> servers() {
    Map<String, Boolean> servers = new LinkedHashMap<>();
    nodes.forEach(node -> servers.put(label(node.getSocketAddress()), available(node)));
    return servers;
  }

  public boolean anyAvailable() {
    return nodes.stream().anyMatch(this::available);
  }

  public boolean allAvailable() {
    return nodes.stream().allMatch(this::available);
  }

  /** For a health check: each server's state, and the servers that are down. */
  public Map<String, Object> details() {
    Map<String, Object> details = new LinkedHashMap<>();
    Map<String, Boolean> servers = servers();
    details.put("servers", servers);
    details.put("unavailable", servers.entrySet().stream().filter(e -> !e.getValue()).map(Map.Entry::getKey).toList());
    return details;
  }

  /** Registers one gauge per server, tagged {@code server=host:port}. */
  public MemcachedAvailability bindTo(MeterRegistry registry) {
    for (MemcachedNode node : nodes) {
      Gauge.builder(GAUGE, node, n -> available(n) ? 1 : 0)
          .description("1 while the memcached server is connected and answers this service's probes, 0 while not")
          .tag("server", label(node.getSocketAddress()))
          .register(registry);
    }
    return this;
  }

  /** {@code host:port} as configured (the host name, not the address it resolved to). */
  static String label(SocketAddress address) {
    if (address instanceof InetSocketAddress inet) {
      return inet.getHostString() + ":" + inet.getPort();
    }
    return String.valueOf(address);
  }
}
