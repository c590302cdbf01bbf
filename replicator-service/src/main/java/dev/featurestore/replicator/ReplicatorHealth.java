package dev.featurestore.replicator;

import dev.featurestore.common.CatalogSettings;
import dev.featurestore.common.MemcachedAvailability;
import io.micrometer.core.instrument.MeterRegistry;
import net.spy.memcached.MemcachedClient;
import org.apache.iceberg.catalog.Catalog;
import org.springframework.boot.health.contributor.Health;
import org.springframework.boot.health.contributor.HealthIndicator;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/**
 * The replicator's health: {@code catalog} (the feature table loads) and {@code memcached} (at least one server is
 * connected; the ones that are not are listed). Both are in the readiness group. A standby is ready: it holds no
 * lease but takes over within a lease TTL.
 */
@Configuration(proxyBeanMethods = false)
class ReplicatorHealth {

  @Bean
  HealthIndicator catalogHealthIndicator(Catalog catalog, ReplicatorProperties properties) {
    return () -> {
      CatalogSettings.TableProbe probe = properties.catalog().probe(catalog);
      return (probe.reachable() ? Health.up() : Health.down()).withDetails(probe.details()).build();
    };
  }

  @Bean(destroyMethod = "close")
  MemcachedAvailability memcachedAvailability(MemcachedClient memcached, MeterRegistry meters) {
    return MemcachedAvailability.startProbing(memcached, meters);
  }

  @Bean
  HealthIndicator memcachedHealthIndicator(MemcachedAvailability availability) {
    return () -> (availability.anyAvailable() ? Health.up() : Health.down()).withDetails(availability.details()).build();
  }
}
