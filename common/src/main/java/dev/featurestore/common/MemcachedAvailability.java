package dev.featurestore.common;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import net.spy.memcached.MemcachedClient;
import net.spy.memcached.MemcachedNode;

/**
 * Which memcached servers a client is connected to right now, as the replicator and the serving API report it: a
 * gauge {@code featurestore_memcached_available{server}} (1 connected, 0 not) and the readiness check.
 *
 * <p>A server counts as available while spymemcached holds an open connection to it and is not between reconnect
 * attempts. Both services talk to every server several times a second (sentinel reads, replication cycles), so a
 * dead server is noticed within about a second, without a probe of its own.
 */
public final class MemcachedAvailability {

  public static final String GAUGE = "featurestore.memcached.available";

  private final List<MemcachedNode> nodes;

  private MemcachedAvailability(List<MemcachedNode> nodes) {
    this.nodes = nodes;
  }

  /** The servers of {@code client}; the nodes are read once (the ring does not change after the client is built). */
  public static MemcachedAvailability of(MemcachedClient client) {
    // the read-only copy's nodes delegate isActive() to the client's live nodes
    return new MemcachedAvailability(List.copyOf(client.getNodeLocator().getAll()));
  }

  /** Each server as {@code host:port}, in ring order, with whether it is connected. */
  public Map<String, Boolean> servers() {
    Map<String, Boolean> servers = new LinkedHashMap<>();
    nodes.forEach(node -> servers.put(label(node.getSocketAddress()), node.isActive()));
    return servers;
  }

  public boolean anyAvailable() {
    return nodes.stream().anyMatch(MemcachedNode::isActive);
  }

  public boolean allAvailable() {
    return nodes.stream().allMatch(MemcachedNode::isActive);
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
      Gauge.builder(GAUGE, node, n -> n.isActive() ? 1 : 0)
          .description("1 while this service is connected to the memcached server, 0 while it is not")
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
