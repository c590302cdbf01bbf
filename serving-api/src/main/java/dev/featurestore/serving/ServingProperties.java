package dev.featurestore.serving;

import dev.featurestore.common.MemcachedSettings;
import dev.featurestore.common.Preconditions;
import java.time.Duration;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

/**
 * Serving configuration under {@code featurestore.*}; defaults live in {@code serving-api.yml}.
 *
 * @param memcached the online store to read
 * @param generationRefresh how often the served key generation is re-read (a full resync switches it)
 */
@ConfigurationProperties("featurestore")
public record ServingProperties(@DefaultValue MemcachedSettings memcached, @DefaultValue("100ms") Duration generationRefresh) {

  public ServingProperties {
    Preconditions.checkArgument(
        !generationRefresh.isNegative() && !generationRefresh.isZero(), "Invalid generation refresh: %s", generationRefresh);
  }
}
