package dev.featurestore.replicator.maintenance;

import java.io.IOException;
import java.io.UncheckedIOException;
import org.apache.iceberg.FileScanTask;
import org.apache.iceberg.HasTableOperations;
import org.apache.iceberg.Snapshot;
import org.apache.iceberg.Table;
import org.apache.iceberg.io.CloseableIterable;

/**
 * The figures that tell whether a table will live for years: snapshots kept, live files and their mean size, and
 * the bytes of the metadata file every commit rewrites.
 *
 * @param snapshots snapshots in the table's history
 * @param dataFiles live data files of the current snapshot
 * @param dataBytes bytes of the live data and delete files
 * @param deleteFiles live delete files
 * @param metadataJsonBytes the current metadata file
 */
public record TableHealth(int snapshots, long dataFiles, long dataBytes, long deleteFiles, long metadataJsonBytes) {

  /** One line: snapshots, files, bytes, metadata. */
  public String toText() {
    return String.format(java.util.Locale.ROOT, "%d snapshots, %d data files (%s with delete files, mean %s), %d delete files, metadata.json %s",
        snapshots, dataFiles, MaintenanceReport.bytes(dataBytes), MaintenanceReport.bytes(meanDataFileBytes()), deleteFiles,
        MaintenanceReport.bytes(metadataJsonBytes));
  }

  public long meanDataFileBytes() {
    return dataFiles == 0 ? 0 : dataBytes / dataFiles;
  }

  /** Reads the figures of the table's current state (refresh it first for the latest). */
  public static TableHealth of(Table table) {
    int snapshots = 0;
    for (Snapshot ignored : table.snapshots()) {
      snapshots++;
    }
    Snapshot current = table.currentSnapshot();
    long dataFiles = 0;
    long dataBytes = 0;
    long deleteFiles = 0;
    if (current != null) {
      dataFiles = number(current.summary().get("total-data-files"));
      dataBytes = number(current.summary().get("total-files-size"));
      deleteFiles = number(current.summary().get("total-delete-files"));
      if (!current.summary().containsKey("total-data-files")) {
        try (CloseableIterable<FileScanTask> tasks = table.newScan().planFiles()) {
          for (FileScanTask task : tasks) {
            dataFiles++;
            dataBytes += task.file().fileSizeInBytes();
          }
        } catch (IOException e) {
          throw new UncheckedIOException(e);
        }
      }
    }
    long metadataBytes = 0;
    if (table instanceof HasTableOperations operations && operations.operations().current().metadataFileLocation() != null) {
      metadataBytes = table.io().newInputFile(operations.operations().current().metadataFileLocation()).getLength();
    }
    return new TableHealth(snapshots, dataFiles, dataBytes, deleteFiles, metadataBytes);
  }

  private static long number(String value) {
    return value == null ? 0 : Long.parseLong(value);
  }
}
