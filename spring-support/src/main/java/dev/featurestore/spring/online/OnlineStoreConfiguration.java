package dev.featurestore.spring.online;

import dev.featurestore.memcached.MemcachedAvailability;
import dev.featurestore.memcached.MemcachedClients;
import io.micrometer.core.instrument.MeterRegistry;
import net.spy.memcached.MemcachedClient;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.boot.health.contributor.Health;
import org.springframework.boot.health.contributor.HealthIndicator;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/**
 * The online store's client, wired once for every service that uses memcached ({@code @Import} it):
 * the client, the availability probe (the {@code featurestore_memcached_available} gauge) and the
 * {@code memcached} health indicator. It is UP while at least one server is connected: with one of
 * several down, the ids it holds fail and the rest are served, which is better than taking the
 * instance out of rotation (every instance sees the same servers); the servers that are down are
 * listed in the details.
 */
@Configuration(proxyBeanMethods = false)
@EnableConfigurationProperties(OnlineStoreProperties.class)
public class OnlineStoreConfiguration {

  @Bean(destroyMethod = "shutdown")
  MemcachedClient memcachedClient(OnlineStoreProperties properties) {
    return MemcachedClients.connect(properties.memcached());
  }

  @Bean(destroyMethod = "close")
  MemcachedAvailability memcachedAvailability(MemcachedClient memcached, MeterRegistry meters) {
    return MemcachedAvailability.startProbing(memcached, meters);
  }

  @Bean
  HealthIndicator memcachedHealthIndicator(MemcachedAvailability availability) {
    return () ->
        (availability.anyAvailable() ? Health.up() : Health.down())
            .withDetails(availability.details())
            .build();
  }
}
