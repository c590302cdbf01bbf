package dev.featurestore.serving;

import dev.featurestore.common.MemcachedAvailability;
import io.micrometer.core.instrument.MeterRegistry;
import net.spy.memcached.MemcachedClient;
import org.springframework.boot.health.contributor.Health;
import org.springframework.boot.health.contributor.HealthIndicator;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/**
 * The serving API's health: {@code memcached}, in the readiness group. Ready while at least one server is
 * connected: with one of several servers down, the ids it holds answer 503 and the rest are served, which is better
 * than taking the instance out of rotation (every instance sees the same servers). The servers that are down are
 * listed in the details and in the {@code featurestore_memcached_available} gauge.
 */
@Configuration(proxyBeanMethods = false)
class ServingHealth {

  @Bean(destroyMethod = "close")
  MemcachedAvailability memcachedAvailability(MemcachedClient memcached, MeterRegistry meters) {
    return MemcachedAvailability.startProbing(memcached, meters);
  }

  @Bean
  HealthIndicator memcachedHealthIndicator(MemcachedAvailability availability) {
    return () -> (availability.anyAvailable() ? Health.up() : Health.down()).withDetails(availability.details()).build();
  }
}
