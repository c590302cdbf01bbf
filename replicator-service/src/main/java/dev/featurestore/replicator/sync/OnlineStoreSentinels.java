package dev.featurestore.replicator.sync;

import dev.featurestore.api.MemcachedKeyScheme;
import dev.featurestore.memcached.OnlineStoreGeneration;
import java.net.SocketAddress;
import java.util.Collection;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.function.Predicate;
import net.spy.memcached.MemcachedClient;

/**
 * The replicator's view of which memcached servers hold what: the published generation of each
 * server (see {@link OnlineStoreGeneration}), and warming markers that tell whether a server
 * restarted while it was being filled.
 *
 * <p>Before a resync or re-warm writes a server's keys, it sets that server's warming marker; a
 * server that restarts meanwhile loses the marker with the keys, so the check after the writes
 * finds it and the fill is redone instead of a half-empty server being published as complete.
 */
public final class OnlineStoreSentinels {

  private final OnlineStoreGeneration generation;
  private final Map<SocketAddress, String> warmingMarkers;

  public OnlineStoreSentinels(MemcachedClient client, MemcachedKeyScheme keys, long timeoutMillis) {
    this.generation = new OnlineStoreGeneration(client, keys, timeoutMillis);
    this.warmingMarkers = generation.keysPerServer(keys, "warming");
  }

  public Set<SocketAddress> servers() {
    return generation.servers();
  }

  /**
   * The generation each warm server reports; servers that restarted, were flushed or never warmed
   * are missing.
   */
  public Map<SocketAddress, Long> published() {
    return generation.perServer();
  }

  /** Servers without a sentinel: they lost their keys. Throws if memcached cannot answer. */
  public Set<SocketAddress> cold(Map<SocketAddress, Long> published) {
    Set<SocketAddress> cold = new HashSet<>(servers());
    cold.removeAll(published.keySet());
    return cold;
  }

  /** Marks the start of filling {@code servers} with {@code fill} (a generation). */
  public void beginWarming(Collection<SocketAddress> servers, long fill) {
    generation.setAll(OnlineStoreGeneration.onServers(warmingMarkers, servers), fill);
  }

  /**
   * Publishes {@code servers} as complete for generation {@code fill}, after checking that none
   * restarted since {@link #beginWarming}; throws (and publishes nothing for those servers) if one
   * did.
   */
  public void publishWarm(Collection<SocketAddress> servers, long fill) {
    failIfAny(notWarming(servers, fill), fill);
    generation.publish(servers, fill);
    // a restart between the check and the publish would leave an empty server marked warm: look
    // once more
    Set<SocketAddress> restarted = notWarming(servers, fill);
    if (!restarted.isEmpty()) {
      generation.retract(restarted);
      failIfAny(restarted, fill);
    }
  }

  /**
   * Of {@code servers}, those whose warming marker is not {@code fill} any more: they restarted (or
   * memcached evicted the marker) since {@link #beginWarming}, so they may have lost part of that
   * generation.
   */
  public Set<SocketAddress> notWarming(Collection<SocketAddress> servers, long fill) {
    Map<SocketAddress, String> markers = OnlineStoreGeneration.onServers(warmingMarkers, servers);
    Map<SocketAddress, Long> marked =
        OnlineStoreGeneration.generations(markers, generation.readAll(markers.values()));
    Set<SocketAddress> lost = new HashSet<>();
    markers
        .keySet()
        .forEach(
            server -> {
              if (!Long.valueOf(fill).equals(marked.get(server))) {
                lost.add(server);
              }
            });
    return lost;
  }

  private static void failIfAny(Set<SocketAddress> restarted, long fill) {
    if (!restarted.isEmpty()) {
      throw new IllegalStateException(
          "memcached " + restarted + " restarted while generation " + fill + " was written to it");
    }
  }

  /** Keys that consistent hashing places on one of {@code servers}. */
  public Predicate<String> keysOn(Set<SocketAddress> servers) {
    return generation.keysOn(servers);
  }

  /**
   * Records that {@code servers} hold generation {@code current} (they do: their warming marker
   * says so).
   */
  public void republish(Collection<SocketAddress> servers, long current) {
    generation.publish(servers, current);
  }
}
