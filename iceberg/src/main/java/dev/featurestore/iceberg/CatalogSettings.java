package dev.featurestore.iceberg;

import dev.featurestore.api.Preconditions;
import java.nio.file.Path;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import org.apache.hadoop.conf.Configuration;
import org.apache.iceberg.CatalogProperties;
import org.apache.iceberg.CatalogUtil;
import org.apache.iceberg.Snapshot;
import org.apache.iceberg.catalog.Catalog;

/**
 * Where the offline store lives: an Iceberg catalog name, the table, and catalog properties passed
 * through to Iceberg unchanged. Without a {@code uri}, the catalog is Iceberg's JdbcCatalog on a
 * SQLite file under the state directory, with the warehouse beside it; any property given (for
 * example a PostgreSQL {@code uri} with {@code jdbc.user}, or {@code type=rest}) replaces that
 * default. A JdbcCatalog whose warehouse is a local path reads and writes files with {@link
 * LocalFileIO} unless {@code io-impl} says otherwise.
 *
 * @param name the catalog name; every process (and Spark) must use the same one, JdbcCatalog stores
 *     it in rows
 * @param table the table as {@code namespace.name}
 * @param properties Iceberg catalog properties
 */
public record CatalogSettings(String name, String table, Map<String, String> properties) {

  public static final String DEFAULT_NAME = "featurestore";
  public static final String DEFAULT_TABLE = "featurestore.document_embeddings";
  private static final String JDBC_CATALOG = "org.apache.iceberg.jdbc.JdbcCatalog";

  public CatalogSettings {
    name = name == null ? DEFAULT_NAME : name;
    table = table == null ? DEFAULT_TABLE : table;
    properties = properties == null ? Map.of() : Map.copyOf(properties);
    Preconditions.checkArgument(!name.isBlank(), "Invalid catalog name: %s", name);
    FeatureTable.identifier(table);
  }

  public static CatalogSettings defaults() {
    return new CatalogSettings(null, null, null);
  }

  /**
   * The properties handed to Iceberg: the defaults for a local SQLite catalog, overridden by what
   * was given.
   */
  public Map<String, String> resolvedProperties(Path stateDir) {
    Map<String, String> resolved = new LinkedHashMap<>();
    if (!properties.containsKey(CatalogProperties.CATALOG_IMPL)
        && !properties.containsKey(CatalogUtil.ICEBERG_CATALOG_TYPE)) {
      resolved.put(CatalogProperties.CATALOG_IMPL, JDBC_CATALOG);
    }
    if (!properties.containsKey(CatalogProperties.URI)) {
      Path sqlite = stateDir.resolve("catalog.db").toAbsolutePath();
      resolved.put(
          CatalogProperties.URI, "jdbc:sqlite:" + sqlite + "?journal_mode=WAL&busy_timeout=30000");
    }
    if (!properties.containsKey(CatalogProperties.WAREHOUSE_LOCATION)) {
      resolved.put(
          CatalogProperties.WAREHOUSE_LOCATION,
          stateDir.resolve("warehouse").toAbsolutePath().toString());
    }
    resolved.putIfAbsent("jdbc.schema-version", "V1");
    resolved.putAll(properties);
    if (!properties.containsKey(CatalogProperties.FILE_IO_IMPL)
        && JDBC_CATALOG.equals(resolved.get(CatalogProperties.CATALOG_IMPL))
        && isLocal(resolved.get(CatalogProperties.WAREHOUSE_LOCATION))) {
      resolved.put(CatalogProperties.FILE_IO_IMPL, LocalFileIO.class.getName());
    }
    return resolved;
  }

  /**
   * A warehouse on a local or mounted file system (an absolute path or a file: URI), not an object
   * store.
   */
  private static boolean isLocal(String warehouse) {
    return warehouse != null && (warehouse.startsWith("/") || warehouse.startsWith("file:"));
  }

  /**
   * The feature table in {@code catalog}, created if missing (see {@link
   * FeatureTable#createOrLoad}).
   */
  public org.apache.iceberg.Table featureTable(Catalog catalog) {
    return FeatureTable.createOrLoad(catalog, FeatureTable.identifier(table));
  }

  /**
   * Loads the feature table afresh from {@code catalog} (a round trip to the catalog database and a
   * read of the table's metadata file), for readiness checks. Never throws: an unreachable catalog
   * or warehouse is a probe with the error. Does not create the table.
   */
  public TableProbe probe(Catalog catalog) {
    try {
      Snapshot current = catalog.loadTable(FeatureTable.identifier(table)).currentSnapshot();
      return current == null
          ? new TableProbe(table, null, null, null)
          : new TableProbe(
              table, current.snapshotId(), Instant.ofEpochMilli(current.timestampMillis()), null);
    } catch (RuntimeException e) {
      return new TableProbe(table, null, null, e.toString());
    }
  }

  /**
   * What {@link #probe} found: the table's current snapshot (null while the table is empty), or the
   * error that kept it from loading.
   */
  public record TableProbe(String table, Long snapshotId, Instant committedAt, String error) {

    public boolean reachable() {
      return error == null;
    }

    public Map<String, Object> details() {
      Map<String, Object> details = new LinkedHashMap<>();
      details.put("table", table);
      if (error != null) {
        details.put("error", error);
      } else {
        details.put("snapshotId", snapshotId == null ? "none" : snapshotId);
      }
      if (committedAt != null) {
        details.put("committedAt", committedAt.toString());
      }
      return details;
    }
  }

  /**
   * Builds the catalog; creates the local state directory first when the default SQLite catalog is
   * used.
   */
  public Catalog load(Path stateDir) {
    Map<String, String> resolved = resolvedProperties(stateDir);
    if (resolved.get(CatalogProperties.URI).startsWith("jdbc:sqlite:")) {
      try {
        java.nio.file.Files.createDirectories(stateDir);
      } catch (java.io.IOException e) {
        throw new java.io.UncheckedIOException("Cannot create state directory " + stateDir, e);
      }
    }
    return CatalogUtil.buildIcebergCatalog(name, resolved, new Configuration());
  }
}
