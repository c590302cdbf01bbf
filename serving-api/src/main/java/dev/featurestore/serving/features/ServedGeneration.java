package dev.featurestore.serving.features;

import dev.featurestore.api.MemcachedKeyScheme;
import dev.featurestore.memcached.OnlineStoreGeneration;
import dev.featurestore.serving.ServingProperties;
import dev.featurestore.spring.online.OnlineStoreProperties;
import java.util.OptionalLong;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import net.spy.memcached.MemcachedClient;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.DisposableBean;
import org.springframework.stereotype.Component;

/**
 * The key generation lookups read (see {@link MemcachedKeyScheme}): the replicator switches
 * generations after a full resync, and this follows it by reading the memcached sentinels in the
 * background, so a lookup costs no extra round trip. When memcached cannot answer, the last known
 * generation stays in use.
 */
@Component
public class ServedGeneration implements DisposableBean {

  private static final Logger LOG = LoggerFactory.getLogger(ServedGeneration.class);

  private final OnlineStoreGeneration sentinels;
  private final MemcachedKeyScheme baseKeys;
  private final ScheduledExecutorService refresher;
  private volatile MemcachedKeyScheme keys;

  // refresh() reports its own failures and close() cancels it with the executor: no one reads the
  // periodic future
  @SuppressWarnings("FutureReturnValueIgnored")
  public ServedGeneration(
      MemcachedClient memcached, ServingProperties properties, OnlineStoreProperties onlineStore) {
    this.baseKeys = onlineStore.memcached().keyScheme();
    // no request waits for this background read: it may take longer than a lookup may
    long timeoutMillis = Math.max(1000, onlineStore.memcached().operationTimeout().toMillis());
    this.sentinels = new OnlineStoreGeneration(memcached, baseKeys, timeoutMillis);
    refresh();
    this.refresher =
        Executors.newSingleThreadScheduledExecutor(
            runnable -> {
              Thread thread = new Thread(runnable, "served-generation");
              thread.setDaemon(true);
              return thread;
            });
    long every = properties.generationRefresh().toMillis();
    refresher.scheduleWithFixedDelay(this::refresh, every, every, TimeUnit.MILLISECONDS);
  }

  /**
   * The keys of the served generation.
   *
   * @throws FeatureLookup.OnlineStoreUnavailableException if no generation was ever published (the
   *     replicator has not completed its first sync) or seen
   */
  public MemcachedKeyScheme keys() {
    MemcachedKeyScheme current = keys;
    if (current == null) {
      throw new FeatureLookup.OnlineStoreUnavailableException(
          FeatureLookup.Kind.UNAVAILABLE,
          "no key generation published yet (replicator not synced)");
    }
    return current;
  }

  /** The served generation, if one is known. */
  public OptionalLong generation() {
    MemcachedKeyScheme current = keys;
    return current == null ? OptionalLong.empty() : OptionalLong.of(current.generation());
  }

  void refresh() {
    try {
      OptionalLong published = sentinels.published();
      MemcachedKeyScheme current = keys;
      // the highest generation any server reports: a server still being republished reports a lower
      // one, and
      // after the replicator's state was reset every server is rewritten with the new, lower number
      if (published.isPresent()
          && (current == null || published.getAsLong() != current.generation())) {
        keys = baseKeys.inGeneration(published.getAsLong());
        LOG.info("Serving key generation {}", published.getAsLong());
      }
    } catch (RuntimeException e) {
      LOG.debug("Cannot read the published generation, keeping {}: {}", keys, e.toString());
    }
  }

  @Override
  public void destroy() {
    refresher.shutdownNow();
  }
}
