package dev.featurestore.memcached;

import dev.featurestore.api.MemcachedKeyScheme;
import dev.featurestore.api.Preconditions;
import java.net.SocketAddress;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Predicate;
import net.spy.memcached.MemcachedClient;
import net.spy.memcached.MemcachedNode;
import net.spy.memcached.NodeLocator;

/**
 * The generation of keys the online store serves (see {@link MemcachedKeyScheme}), published by the
 * replicator in one sentinel key per memcached server.
 *
 * <p>Each server holds a sentinel (a marker key that consistent hashing places on it) whose value
 * is the generation the server is complete for. Readers take the highest generation any server
 * reports, so losing some servers does not lose the pointer. A server without its sentinel
 * restarted or was flushed: it came back empty, and the replicator re-warms the keys that hash to
 * it.
 */
public final class OnlineStoreGeneration {

  private static final int MAX_CANDIDATES = 100_000;

  private final MemcachedClient client;
  private final NodeLocator locator;
  private final long timeoutMillis;
  private final Map<SocketAddress, String> sentinelByServer;

  public OnlineStoreGeneration(
      MemcachedClient client, MemcachedKeyScheme keys, long timeoutMillis) {
    Preconditions.checkArgument(timeoutMillis > 0, "Invalid timeout: %s ms", timeoutMillis);
    this.client = client;
    this.locator = client.getNodeLocator();
    this.timeoutMillis = timeoutMillis;
    // "generation", not the "sentinel" keys of older versions, whose values were snapshot ids
    this.sentinelByServer = keysPerServer(keys, "generation");
  }

  /**
   * One marker key per server, named {@code <namespace>!<kind>:<n>}: the first n that hashes to
   * each server.
   */
  public Map<SocketAddress, String> keysPerServer(MemcachedKeyScheme keys, String kind) {
    Collection<MemcachedNode> nodes = locator.getAll();
    Map<SocketAddress, String> keyByServer = new LinkedHashMap<>();
    for (int i = 0; keyByServer.size() < nodes.size() && i < MAX_CANDIDATES; i++) {
      String key = keys.markerKey(kind + ":" + i);
      keyByServer.putIfAbsent(serverOf(key), key);
    }
    Preconditions.checkArgument(
        keyByServer.size() == nodes.size(),
        "Cannot place a %s key on every memcached server",
        kind);
    return Collections.unmodifiableMap(keyByServer);
  }

  public Set<SocketAddress> servers() {
    return sentinelByServer.keySet();
  }

  /**
   * The generation readers should use: the highest any server reports; empty if none does (never
   * published).
   */
  public OptionalLong published() {
    return perServer().values().stream().mapToLong(Long::longValue).max();
  }

  /**
   * The generation each server reports; a server missing from the map has lost its data (or was
   * never warmed).
   */
  public Map<SocketAddress, Long> perServer() {
    return generations(sentinelByServer, readAll(sentinelByServer.values()));
  }

  /** Records that {@code servers} hold the complete state of {@code generation}. */
  public void publish(Collection<SocketAddress> servers, long generation) {
    setAll(onServers(sentinelByServer, servers), generation);
  }

  /** Forgets that {@code servers} are warm, so that the replicator re-warms them. */
  public void retract(Collection<SocketAddress> servers) {
    List<Future<Boolean>> deletes = new ArrayList<>();
    onServers(sentinelByServer, servers).values().forEach(key -> deletes.add(client.delete(key)));
    deletes.forEach(this::await);
  }

  /**
   * Sets every key of {@code keys} to {@code generation}; throws unless memcached stored all of
   * them.
   */
  public void setAll(Map<SocketAddress, String> keys, long generation) {
    byte[] value = Long.toString(generation).getBytes(java.nio.charset.StandardCharsets.US_ASCII);
    List<Future<Boolean>> sets = new ArrayList<>();
    keys.values().forEach(key -> sets.add(client.set(key, 0, value, MemcachedClients.RAW_BYTES)));
    for (Future<Boolean> set : sets) {
      if (!Boolean.TRUE.equals(await(set))) {
        throw new OnlineStoreUnavailableException("memcached refused a sentinel write", null);
      }
    }
  }

  /** Reads marker keys in one multi-get; throws if memcached cannot answer in time. */
  public Map<String, byte[]> readAll(Collection<String> keys) {
    try {
      return client
          .asyncGetBulk(keys, MemcachedClients.RAW_BYTES)
          .get(timeoutMillis, TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new OnlineStoreUnavailableException("Interrupted while reading memcached sentinels", e);
    } catch (ExecutionException | TimeoutException | RuntimeException e) {
      throw new OnlineStoreUnavailableException("Cannot read memcached sentinels: " + e, e);
    }
  }

  /** Generation values of marker keys, by server, as {@link #setAll} wrote them. */
  public static Map<SocketAddress, Long> generations(
      Map<SocketAddress, String> keys, Map<String, byte[]> values) {
    Map<SocketAddress, Long> generations = new HashMap<>();
    keys.forEach(
        (server, key) -> {
          byte[] value = values.get(key);
          if (value != null && parse(value) >= 0) {
            generations.put(server, parse(value));
          }
        });
    return generations;
  }

  /** Keys that consistent hashing places on one of {@code servers}. */
  public Predicate<String> keysOn(Set<SocketAddress> servers) {
    return key -> servers.contains(serverOf(key));
  }

  private SocketAddress serverOf(String key) {
    return locator.getPrimary(key).getSocketAddress();
  }

  /** The marker keys of {@code servers} only. */
  public static Map<SocketAddress, String> onServers(
      Map<SocketAddress, String> keys, Collection<SocketAddress> servers) {
    Map<SocketAddress, String> subset = new LinkedHashMap<>(keys);
    subset.keySet().retainAll(servers);
    return subset;
  }

  private static long parse(byte[] bytes) {
    try {
      return Long.parseLong(new String(bytes, java.nio.charset.StandardCharsets.US_ASCII));
    } catch (NumberFormatException e) {
      // not ours (or a pre-generation sentinel): as if absent, so the server is re-warmed and the
      // sentinel rewritten
      return -1;
    }
  }

  private Boolean await(Future<Boolean> future) {
    try {
      return future.get(timeoutMillis, TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new OnlineStoreUnavailableException("Interrupted while writing memcached sentinels", e);
    } catch (ExecutionException | TimeoutException e) {
      throw new OnlineStoreUnavailableException("Cannot write memcached sentinels: " + e, e);
    }
  }

  /** memcached could not answer or store a sentinel in time. */
  public static final class OnlineStoreUnavailableException extends RuntimeException {
    public OnlineStoreUnavailableException(String message, Throwable cause) {
      super(message, cause);
    }
  }
}
