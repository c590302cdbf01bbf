package dev.featurestore.spring.offline;

import dev.featurestore.iceberg.CatalogSettings;
import org.apache.iceberg.Table;
import org.apache.iceberg.catalog.Catalog;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.boot.health.contributor.Health;
import org.springframework.boot.health.contributor.HealthIndicator;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/**
 * The offline store, wired once for every service that reads or writes the table ({@code @Import}
 * it): the catalog, the feature table (created on first use) and the {@code catalog} health
 * indicator (UP while the table loads, with its current snapshot).
 */
@Configuration(proxyBeanMethods = false)
@EnableConfigurationProperties(OfflineStoreProperties.class)
public class OfflineStoreConfiguration {

  @Bean
  Catalog catalog(OfflineStoreProperties properties) {
    return properties.catalog().load(properties.stateDir());
  }

  @Bean
  Table featureTable(Catalog catalog, OfflineStoreProperties properties) {
    return properties.newFeatureTable(catalog);
  }

  @Bean
  HealthIndicator catalogHealthIndicator(Catalog catalog, OfflineStoreProperties properties) {
    return () -> {
      CatalogSettings.TableProbe probe = properties.catalog().probe(catalog);
      return (probe.reachable() ? Health.up() : Health.down()).withDetails(probe.details()).build();
    };
  }
}
