package dev.featurestore.serving.features;

import dev.featurestore.common.DocIds;
import dev.featurestore.common.MemcachedClients;
import dev.featurestore.common.OnlineFeature;
import dev.featurestore.common.OnlineFeatureCodec;
import java.util.Optional;
import net.spy.memcached.MemcachedClient;
import org.springframework.stereotype.Service;

/** Reads one document's feature from memcached. */
@Service
public class FeatureLookup {

  private final MemcachedClient memcached;
  private final ServedGeneration generation;

  public FeatureLookup(MemcachedClient memcached, ServedGeneration generation) {
    this.memcached = memcached;
    this.generation = generation;
  }

  /**
   * The feature of a valid doc id, or empty if the online store has none.
   *
   * @throws DocIds.InvalidDocIdException if the id breaks the doc id rules
   * @throws OnlineStoreUnavailableException if memcached cannot answer in time
   */
  public Optional<OnlineFeature> find(String docId) {
    // keyFor applies the doc id rules (and throws InvalidDocIdException)
    String key = generation.keys().keyFor(docId);
    byte[] value;
    try {
      value = memcached.get(key, MemcachedClients.RAW_BYTES);
    } catch (RuntimeException e) {
      // spymemcached signals timeouts, cancelled operations and full queues with unchecked exceptions
      throw new OnlineStoreUnavailableException(e);
    }
    if (value == null || OnlineFeatureCodec.isErased(value)) {
      return Optional.empty();
    }
    OnlineFeature feature = OnlineFeatureCodec.decode(value);
    // a hashed key is only trusted when the value names the same id
    return feature.docId().equals(docId) ? Optional.of(feature) : Optional.empty();
  }

  /** memcached did not answer; the caller gets a 503 and may retry. */
  public static final class OnlineStoreUnavailableException extends RuntimeException {
    OnlineStoreUnavailableException(Throwable cause) {
      super("online store unavailable: " + cause.getClass().getSimpleName(), cause);
    }

    OnlineStoreUnavailableException(String reason) {
      super("online store unavailable: " + reason);
    }
  }
}
