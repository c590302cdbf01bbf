package dev.featurestore.serving;

import dev.featurestore.common.MemcachedSettings;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

/**
 * Serving configuration under {@code featurestore.*}; defaults live in {@code serving-api.yml}.
 *
 * @param memcached the online store to read
 */
@ConfigurationProperties("featurestore")
public record ServingProperties(@DefaultValue MemcachedSettings memcached) {}
