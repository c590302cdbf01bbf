package dev.featurestore.spring.offline;

import dev.featurestore.iceberg.CatalogSettings;
import java.nio.file.Path;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.NestedConfigurationProperty;
import org.springframework.boot.context.properties.bind.DefaultValue;

/**
 * Where the offline store is: {@code featurestore.state-dir} and {@code featurestore.catalog.*},
 * the same for every service that reads or writes the table.
 *
 * @param stateDir local state: the default SQLite catalog, warehouse (and the writer's model cache)
 *     live under it; default {@code .featurestore/data} in the working directory
 * @param catalog the Iceberg catalog and table
 */
@ConfigurationProperties("featurestore")
public record OfflineStoreProperties(
    Path stateDir, @DefaultValue @NestedConfigurationProperty CatalogSettings catalog) {

  public OfflineStoreProperties {
    stateDir =
        stateDir == null
            ? Path.of(System.getProperty("user.dir"), ".featurestore", "data")
            : stateDir;
    catalog = catalog == null ? CatalogSettings.defaults() : catalog;
  }

  /**
   * A table instance of its own: Iceberg tables are not thread-safe, so each thread that refreshes
   * one needs one.
   */
  public org.apache.iceberg.Table newFeatureTable(org.apache.iceberg.catalog.Catalog loaded) {
    return catalog.featureTable(loaded);
  }
}
