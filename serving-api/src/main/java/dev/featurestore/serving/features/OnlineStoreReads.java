package dev.featurestore.serving.features;

import java.util.Collection;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

/**
 * How lookups read memcached: values as the replicator stored them ({@link
 * dev.featurestore.api.OnlineFeatureCodec}), without blocking the caller. A read that fails
 * completes exceptionally with {@link FeatureLookup.OnlineStoreUnavailableException}: its server is
 * known to be down, the deadline passed, or too many reads are waiting already.
 */
public interface OnlineStoreReads {

  /** The value of {@code key}, or null when memcached has none. */
  CompletableFuture<byte[]> get(String key, Deadline deadline);

  /** The values of the keys memcached has; keys it lacks are not in the map. */
  CompletableFuture<Map<String, byte[]>> getAll(Collection<String> keys, Deadline deadline);
}
