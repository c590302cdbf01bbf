package dev.featurestore.memcached;

import dev.featurestore.api.MemcachedKeyScheme;
import dev.featurestore.api.Preconditions;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;

/**
 * The online store: one or more memcached servers ({@code host:port}), spread by consistent
 * hashing.
 *
 * @param servers memcached servers
 * @param operationTimeout how long one operation may wait before it fails
 * @param keyNamespace prefix of every key (see {@link MemcachedKeyScheme})
 */
public record MemcachedSettings(
    List<String> servers, Duration operationTimeout, String keyNamespace) {

  public MemcachedSettings {
    servers =
        servers == null || servers.isEmpty() ? List.of("127.0.0.1:11211") : List.copyOf(servers);
    operationTimeout = operationTimeout == null ? Duration.ofSeconds(1) : operationTimeout;
    keyNamespace = keyNamespace == null ? "fs1" : keyNamespace;
    Preconditions.checkArgument(
        !operationTimeout.isNegative() && !operationTimeout.isZero(),
        "Invalid operation timeout: %s",
        operationTimeout);
    servers.forEach(MemcachedSettings::address);
    MemcachedKeyScheme.withNamespace(keyNamespace);
  }

  public static MemcachedSettings defaults() {
    return new MemcachedSettings(null, null, null);
  }

  public MemcachedKeyScheme keyScheme() {
    return MemcachedKeyScheme.withNamespace(keyNamespace);
  }

  public List<InetSocketAddress> addresses() {
    return servers.stream().map(MemcachedSettings::address).toList();
  }

  private static InetSocketAddress address(String server) {
    int colon = server == null ? -1 : server.lastIndexOf(':');
    Preconditions.checkArgument(
        colon > 0, "Invalid memcached server: %s (expected host:port)", server);
    try {
      int port = Integer.parseInt(server.substring(colon + 1));
      Preconditions.checkArgument(
          port > 0 && port < 65536, "Invalid memcached server: %s (bad port)", server);
      return InetSocketAddress.createUnresolved(server.substring(0, colon), port);
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("Invalid memcached server: " + server + " (bad port)", e);
    }
  }
}
