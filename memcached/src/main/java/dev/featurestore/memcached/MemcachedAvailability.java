package dev.featurestore.memcached;

import dev.featurestore.api.Preconditions;
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
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import net.spy.memcached.MemcachedClient;
import net.spy.memcached.MemcachedNode;
import net.spy.memcached.OperationFactory;
import net.spy.memcached.ops.OperationCallback;
import net.spy.memcached.ops.OperationStatus;
import net.spy.memcached.protocol.binary.BinaryOperationFactory;

/**
 * Which memcached servers answer right now, as the replicator and the serving API report it: a
 * gauge {@code featurestore_memcached_available{server}} (1 available, 0 not) and the readiness
 * check.
 *
 * <p>A server is available while spymemcached holds an open connection to it (not between reconnect
 * attempts) and it answered at least one of the last {@value #MISSES_BEFORE_UNAVAILABLE} probes. A
 * server that closes its connections (crash, restart) is noticed at the next request to it, within
 * about a second since both services talk to every server several times a second. One that hangs
 * with its connections open (a stopped process, a network partition) answers no probe: it is
 * unavailable after {@value #MISSES_BEFORE_UNAVAILABLE} probes, a few seconds with the services'
 * one-second probe. The probe is a {@code version} request per server that has until the next probe
 * to be answered (spymemcached drops it only if it waits longer than the operation timeout to be
 * sent); several misses in a row are needed so that one stall of a busy machine does not flap
 * readiness. The client must speak the binary protocol, as {@link MemcachedClients}'s do.
 */
public final class MemcachedAvailability implements AutoCloseable {

  public static final String GAUGE = "featurestore.memcached.available";

  /** How often the services probe each server. */
  public static final Duration PROBE_INTERVAL = Duration.ofSeconds(1);

  static final int MISSES_BEFORE_UNAVAILABLE = 3;

  private final MemcachedClient client;
  private final List<MemcachedNode> nodes;
  // the probe is sent with an operation factory of our own: the client's is not public, and
  // getVersions() waits only
  // the client's operation timeout (10 ms in the serving API) and counts a timed-out or cancelled
  // probe as an answer
  private final OperationFactory operations = new BinaryOperationFactory();
  private final Map<SocketAddress, ProbeState> probes = new ConcurrentHashMap<>();
  private boolean probedBefore;
  private ScheduledExecutorService prober;

  private MemcachedAvailability(MemcachedClient client, List<MemcachedNode> nodes) {
    this.client = client;
    this.nodes = nodes;
    nodes.forEach(node -> probes.put(node.getSocketAddress(), new ProbeState()));
  }

  /**
   * The servers of {@code client}; the nodes are read once (the ring does not change after the
   * client is built).
   */
  public static MemcachedAvailability of(MemcachedClient client) {
    // the read-only copy's nodes delegate isActive() to the client's live nodes
    return new MemcachedAvailability(client, List.copyOf(client.getNodeLocator().getAll()));
  }

  /**
   * What the replicator and the serving API run: every server probed each {@link #PROBE_INTERVAL},
   * one gauge per server in {@code registry}. Close it with the client.
   */
  public static MemcachedAvailability startProbing(MemcachedClient client, MeterRegistry registry) {
    return of(client).probeEvery(PROBE_INTERVAL).bindTo(registry);
  }

  /**
   * Probes every server every {@code interval} on a daemon thread of its own, until {@link
   * #close()}.
   */
  // probe() reports its own failures and close() cancels it with the executor: no one reads the
  // periodic future
  @SuppressWarnings("FutureReturnValueIgnored")
  public synchronized MemcachedAvailability probeEvery(Duration interval) {
    Preconditions.checkArgument(prober == null, "Already probing: %s", this);
    prober =
        Executors.newSingleThreadScheduledExecutor(
            task -> {
              Thread thread = new Thread(task, "memcached-availability-probe");
              thread.setDaemon(true);
              return thread;
            });
    prober.scheduleWithFixedDelay(this::probe, 0, interval.toMillis(), TimeUnit.MILLISECONDS);
    return this;
  }

  /**
   * Per server: consecutive probes without a successful answer, and whether the current one was
   * answered.
   */
  private static final class ProbeState {
    final AtomicInteger missed = new AtomicInteger();
    final AtomicBoolean answered = new AtomicBoolean();
  }

  /**
   * One tick: a server that sent no successful answer to the previous tick's {@code version}
   * request (within the probe interval, whatever the client's operation timeout) missed it; then a
   * new request goes to every server.
   */
  synchronized void probe() {
    if (probedBefore) {
      for (ProbeState state : probes.values()) {
        if (!state.answered.getAndSet(false)) {
          state.missed.incrementAndGet();
        }
      }
    }
    probedBefore = true;
    try {
      client.broadcastOp(
          (node, latch) -> {
            ProbeState state = probes.get(node.getSocketAddress());
            return operations.version(
                new OperationCallback() {
                  @Override
                  public void receivedStatus(OperationStatus status) {
                    // a cancelled or timed-out request also reports a status, but not a successful
                    // one
                    if (status.isSuccess() && state != null) {
                      state.missed.set(0);
                      state.answered.set(true);
                    }
                  }

                  @Override
                  public void complete() {
                    latch.countDown();
                  }
                });
          });
    } catch (RuntimeException e) {
      // the client is shutting down: nothing answers, and the misses say so
    }
  }

  private boolean available(MemcachedNode node) {
    return node.isActive()
        && probes.get(node.getSocketAddress()).missed.get() < MISSES_BEFORE_UNAVAILABLE;
  }

  @Override
  public synchronized void close() {
    if (prober != null) {
      prober.shutdownNow();
      prober = null;
    }
  }

  /** Each server as {@code host:port}, in ring order, with whether it is available. */
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
    details.put(
        "unavailable",
        servers.entrySet().stream().filter(e -> !e.getValue()).map(Map.Entry::getKey).toList());
    return details;
  }

  /** Registers one gauge per server, tagged {@code server=host:port}. */
  public MemcachedAvailability bindTo(MeterRegistry registry) {
    for (MemcachedNode node : nodes) {
      Gauge.builder(GAUGE, node, n -> available(n) ? 1 : 0)
          .description(
              "1 while the memcached server is connected and answers this service's probes, 0 while not")
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
