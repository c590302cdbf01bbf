package dev.featurestore.replicator.maintenance;

import dev.featurestore.iceberg.CatalogSettings;
import dev.featurestore.iceberg.FeatureTable;
import java.nio.file.Path;
import org.apache.iceberg.Table;
import org.apache.iceberg.catalog.Catalog;

/**
 * A separate JVM that compacts the table of a state directory again and again, until it is killed.
 */
public final class CompactionProcess {

  public static void main(String[] args) {
    CatalogSettings settings = CatalogSettings.defaults();
    Catalog catalog = settings.load(Path.of(args[0]));
    Table table = catalog.loadTable(FeatureTable.identifier(settings.table()));
    DataFileCompaction compaction = new DataFileCompaction(table, 128L << 20, 96L << 20);
    while (true) {
      table.refresh();
      compaction.run(table.currentSnapshot(), () -> {});
    }
  }
}
