package dev.featurestore.serving.features;

import dev.featurestore.api.StoredFeature;

/**
 * A feature as the API serves it: the value memcached holds and, once the feature has been served
 * from the {@link HotFeatureCache}, its JSON. Formatting 384 floats is most of a JSON answer's
 * cost, so a popular id's floats are formatted once per staleness window, not once per request; an
 * id that is not asked for again keeps no copy (its JSON is written straight into the answer).
 */
final class ServedFeature {

  private final StoredFeature stored;

  /** Set once the hot cache served this feature: its JSON is worth keeping from then on. */
  private boolean popular;

  /**
   * The feature's JSON object; volatile so another event loop sees the bytes, not just the array.
   */
  private volatile byte[] json;

  ServedFeature(StoredFeature stored) {
    this.stored = stored;
  }

  StoredFeature stored() {
    return stored;
  }

  /**
   * Marks the feature as served from the hot cache (a plain write: a lost mark costs one render).
   */
  ServedFeature popular() {
    popular = true;
    return this;
  }

  boolean isPopular() {
    return popular;
  }

  /** The kept JSON, or null if none is kept yet. */
  byte[] keptJson() {
    return json;
  }

  void keepJson(byte[] rendered) {
    json = rendered;
  }
}
