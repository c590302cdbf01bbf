package dev.featurestore.spring.online;

import dev.featurestore.memcached.MemcachedSettings;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.NestedConfigurationProperty;
import org.springframework.boot.context.properties.bind.DefaultValue;

/**
 * Where the online store is: {@code featurestore.memcached.*}, the same for the replicator that
 * fills it and the serving API that reads it.
 *
 * @param memcached the servers, the operation timeout and the key namespace
 */
@ConfigurationProperties("featurestore")
public record OnlineStoreProperties(
    @DefaultValue @NestedConfigurationProperty MemcachedSettings memcached) {

  public OnlineStoreProperties {
    memcached = memcached == null ? MemcachedSettings.defaults() : memcached;
  }
}
