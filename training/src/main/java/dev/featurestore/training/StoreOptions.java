package dev.featurestore.training;

import dev.featurestore.iceberg.CatalogSettings;
import dev.featurestore.iceberg.FeatureTable;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.apache.iceberg.Table;
import org.apache.iceberg.catalog.Catalog;

/**
 * The options every command shares to find the table: {@code --state-dir DIR}, {@code --table
 * NAMESPACE.TABLE} and {@code --catalog-property KEY=VALUE} (repeatable, as {@code
 * featurestore.catalog.properties.*} in the services).
 */
final class StoreOptions implements AutoCloseable {

  static final String USAGE =
      "[--state-dir DIR] [--table NAMESPACE.TABLE] [--catalog-property KEY=VALUE]...";

  private Path stateDir = Path.of(".featurestore");
  private String table = CatalogSettings.DEFAULT_TABLE;
  private final Map<String, String> catalogProperties = new LinkedHashMap<>();
  private Catalog catalog;

  /** Takes {@code flag} and its value if it is one of these options; false if it is not. */
  boolean accept(String flag, String value) {
    switch (flag) {
      case "--state-dir" -> stateDir = Path.of(value);
      case "--table" -> table = value;
      case "--catalog-property" -> {
        int eq = value.indexOf('=');
        if (eq <= 0) {
          throw new IllegalArgumentException("--catalog-property takes KEY=VALUE, not " + value);
        }
        catalogProperties.put(value.substring(0, eq), value.substring(eq + 1));
      }
      default -> {
        return false;
      }
    }
    return true;
  }

  /** Loads the feature table (it must exist: these commands never create it). */
  Table loadTable() {
    CatalogSettings defaults = CatalogSettings.defaults();
    Map<String, String> properties = new LinkedHashMap<>(defaults.properties());
    properties.putAll(catalogProperties);
    CatalogSettings settings = new CatalogSettings(defaults.name(), table, properties);
    catalog = settings.load(stateDir);
    return catalog.loadTable(FeatureTable.identifier(settings.table()));
  }

  @Override
  public void close() {
    if (catalog instanceof AutoCloseable closeable) {
      try {
        closeable.close();
      } catch (Exception e) {
        // the command's outcome is already decided
      }
    }
  }
}
