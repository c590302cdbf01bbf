package dev.featurestore.replicator.sync;

import java.net.SocketAddress;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Predicate;
import net.spy.memcached.MemcachedClient;
import net.spy.memcached.MemcachedNode;
import net.spy.memcached.NodeLocator;
import net.spy.memcached.internal.OperationFuture;

/**
 * Tells which memcached servers lost their data. Each server holds one sentinel key (a key that consistent hashing
 * places on it), written once the server holds the mirrored state. A memcached that restarted or was flushed comes
 * back empty, without its sentinel: one multi-get per replication cycle finds it, and the replicator re-warms just
 * the keys that hash to that server.
 */
public final class OnlineStoreSentinels {

  private final MemcachedClient client;
  private final NodeLocator locator;
  private final Map<SocketAddress, String> keyByServer = new LinkedHashMap<>();
  private final long timeoutMillis;

  public OnlineStoreSentinels(MemcachedClient client, String namespace, long timeoutMillis) {
    this.client = client;
    this.locator = client.getNodeLocator();
    this.timeoutMillis = timeoutMillis;
    Collection<MemcachedNode> nodes = locator.getAll();
    for (int i = 0; keyByServer.size() < nodes.size() && i < 100_000; i++) {
      // '!' cannot start a doc id's raw key ("ns:" or "ns#"), so sentinels never collide with features
      String key = namespace + "!sentinel:" + i;
      keyByServer.putIfAbsent(serverOf(key), key);
    }
  }

  public Set<SocketAddress> servers() {
    return keyByServer.keySet();
  }

  /** Servers without their sentinel: restarted, flushed, or never warmed. Throws if memcached cannot answer. */
  public Set<SocketAddress> cold() {
    Map<String, Object> present;
    try {
      present = client.asyncGetBulk(keyByServer.values()).get(timeoutMillis, TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new OnlineStoreWriter.OnlineStoreException("Interrupted while checking memcached", e);
    } catch (ExecutionException | TimeoutException | RuntimeException e) {
      throw new OnlineStoreWriter.OnlineStoreException("Cannot check memcached sentinels: " + e, e);
    }
    Set<SocketAddress> cold = new HashSet<>();
    keyByServer.forEach((server, key) -> {
      if (!present.containsKey(key)) {
        cold.add(server);
      }
    });
    return cold;
  }

  /** Records that these servers now hold the state of {@code snapshotId}. */
  public void markWarm(Collection<SocketAddress> servers, long snapshotId) {
    List<OperationFuture<Boolean>> sets = new ArrayList<>();
    for (SocketAddress server : servers) {
      sets.add(client.set(keyByServer.get(server), 0, Long.toString(snapshotId)));
    }
    for (OperationFuture<Boolean> set : sets) {
      try {
        if (!Boolean.TRUE.equals(set.get(timeoutMillis, TimeUnit.MILLISECONDS))) {
          throw new OnlineStoreWriter.OnlineStoreException("memcached refused sentinel " + set.getKey());
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new OnlineStoreWriter.OnlineStoreException("Interrupted while marking memcached warm", e);
      } catch (ExecutionException | TimeoutException e) {
        throw new OnlineStoreWriter.OnlineStoreException("Cannot mark memcached warm: " + e, e);
      }
    }
  }

  /** Keys that consistent hashing places on one of {@code servers}. */
  public Predicate<String> keysOn(Set<SocketAddress> servers) {
    return key -> servers.contains(serverOf(key));
  }

  private SocketAddress serverOf(String key) {
    return locator.getPrimary(key).getSocketAddress();
  }
}
