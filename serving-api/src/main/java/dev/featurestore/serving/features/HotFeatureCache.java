package dev.featurestore.serving.features;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import dev.featurestore.serving.ServingProperties;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.Optional;
import org.springframework.stereotype.Component;

/**
 * Popular ids served from memory for at most the configured staleness (0 disables the cache). An
 * entry is a feature memcached returned, kept for exactly the staleness bound after it was read, so
 * no value older than the bound is ever served. Misses are not cached: a document becomes servable
 * the moment the replicator writes it, so the cache never adds to end-to-end freshness. Entries are
 * keyed by memcached key, which names the generation: a switch to a new generation (full resync)
 * never serves the old one's entries. W-TinyLFU admission keeps the popular ids when the cache is
 * full. An entry served from here keeps its JSON once written ({@link ServedFeature}), so the
 * floats of a popular id are formatted once per staleness window.
 */
@Component
public class HotFeatureCache {

  private final Cache<String, ServedFeature> cache;

  public HotFeatureCache(ServingProperties properties, MeterRegistry meters) {
    ServingProperties.HotCache settings = properties.hotCache();
    if (!settings.enabled()) {
      this.cache = null;
      return;
    }
    this.cache =
        Caffeine.newBuilder()
            .maximumSize(settings.maxEntries())
            .expireAfterWrite(settings.staleness())
            // maintenance (expiry, eviction) runs on the lookup's own thread, amortized, instead of
            // being handed to the common fork-join pool: no extra thread wakes per batch of reads
            .executor(Runnable::run)
            .recordStats()
            .build();
    meters.gauge("featurestore.serving.hot.cache.hit.ratio", cache, c -> c.stats().hitRate());
    meters.gauge("featurestore.serving.hot.cache.size", cache, Cache::estimatedSize);
    meters
        .more()
        .counter(
            "featurestore.serving.hot.cache.hits",
            java.util.List.of(),
            cache,
            c -> c.stats().hitCount());
    meters
        .more()
        .counter(
            "featurestore.serving.hot.cache.misses",
            java.util.List.of(),
            cache,
            c -> c.stats().missCount());
  }

  public boolean enabled() {
    return cache != null;
  }

  /** The cached answer for a memcached key; null when not cached (or the cache is disabled). */
  Optional<ServedFeature> get(String key) {
    ServedFeature cached = cache == null ? null : cache.getIfPresent(key);
    return cached == null ? null : Optional.of(cached.popular());
  }

  void put(String key, Optional<ServedFeature> answer) {
    if (cache != null && answer.isPresent()) {
      cache.put(key, answer.get());
    }
  }
}
