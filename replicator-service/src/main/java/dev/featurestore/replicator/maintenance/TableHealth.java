package dev.featurestore.replicator.maintenance;

import java.util.Map;
import org.apache.iceberg.HasTableOperations;
import org.apache.iceberg.Snapshot;
import org.apache.iceberg.Table;

/**
 * The figures that tell whether a table will live for years: snapshots kept, live files and their
 * mean size, and the bytes of the metadata file every commit rewrites.
 *
 * @param snapshots snapshots in the table's history
 * @param dataFiles live data files of the current snapshot
 * @param fileBytes bytes of the live data and delete files
 * @param deleteFiles live delete files
 * @param metadataJsonBytes the current metadata file
 */
public record TableHealth(
    int snapshots, long dataFiles, long fileBytes, long deleteFiles, long metadataJsonBytes) {

  /** One line: snapshots, files, bytes, metadata. */
  public String toText() {
    return String.format(
        java.util.Locale.ROOT,
        "%d snapshots, %d data files (%s with delete files, mean %s), %d delete files, metadata.json %s",
        snapshots,
        dataFiles,
        MaintenanceReport.bytes(fileBytes),
        MaintenanceReport.bytes(meanDataFileBytes()),
        deleteFiles,
        MaintenanceReport.bytes(metadataJsonBytes));
  }

  public long meanDataFileBytes() {
    return dataFiles == 0 ? 0 : fileBytes / dataFiles;
  }

  /** Reads the figures of the table's current state (refresh it first for the latest). */
  public static TableHealth of(Table table) {
    int snapshots = 0;
    for (Snapshot ignored : table.snapshots()) {
      snapshots++;
    }
    Snapshot current = table.currentSnapshot();
    // every Iceberg commit writes these totals into its snapshot's summary: no scan needed
    Map<String, String> summary = current == null ? Map.of() : current.summary();
    long dataFiles = number(summary.get("total-data-files"));
    long fileBytes = number(summary.get("total-files-size"));
    long deleteFiles = number(summary.get("total-delete-files"));
    long metadataBytes = 0;
    if (table instanceof HasTableOperations operations
        && operations.operations().current().metadataFileLocation() != null) {
      metadataBytes =
          table
              .io()
              .newInputFile(operations.operations().current().metadataFileLocation())
              .getLength();
    }
    return new TableHealth(snapshots, dataFiles, fileBytes, deleteFiles, metadataBytes);
  }

  private static long number(String value) {
    return value == null ? 0 : Long.parseLong(value);
  }
}
