package dev.featurestore.replicator.sync;

import dev.featurestore.common.FeatureTable;
import dev.featurestore.common.FeatureVersion;
import dev.featurestore.common.OnlineFeature;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import org.apache.iceberg.FileScanTask;
import org.apache.iceberg.Schema;
import org.apache.iceberg.Snapshot;
import org.apache.iceberg.Table;
import org.apache.iceberg.data.GenericDeleteFilter;
import org.apache.iceberg.data.Record;
import org.apache.iceberg.data.parquet.GenericParquetReaders;
import org.apache.iceberg.io.CloseableIterable;
import org.apache.iceberg.parquet.Parquet;
import org.apache.iceberg.util.SnapshotUtil;

/**
 * Reads the rows a range of snapshots added, oldest data file first, so that writing them in order leaves the
 * newest row of every doc id in the online store. A checkpoint that is no longer in the table's history (its
 * snapshots were expired) turns into a full read of the current snapshot.
 */
public final class TableChangeReader {

  /** What a range of snapshots changed: its rows, in commit order. */
  public record Plan(boolean fullResync, List<FileScanTask> tasks, Map<Long, Long> snapshotIdBySequenceNumber) {

    FeatureVersion versionOf(FileScanTask task) {
      long sequenceNumber = task.file().dataSequenceNumber();
      return FeatureVersion.of(snapshotIdBySequenceNumber.getOrDefault(sequenceNumber, -1L), sequenceNumber);
    }
  }

  private final Table table;

  public TableChangeReader(Table table) {
    this.table = table;
  }

  /** Plans the rows added after {@code fromExclusive} (null: everything) up to {@code to}. */
  public Plan plan(Long fromExclusive, Snapshot to) {
    boolean incremental = fromExclusive != null && SnapshotUtil.isParentAncestorOf(table, to.snapshotId(), fromExclusive);
    List<FileScanTask> tasks = new ArrayList<>();
    try (CloseableIterable<FileScanTask> planned =
        incremental
            ? table.newIncrementalAppendScan().fromSnapshotExclusive(fromExclusive).toSnapshot(to.snapshotId()).planFiles()
            : table.newScan().useSnapshot(to.snapshotId()).planFiles()) {
      planned.forEach(tasks::add);
    } catch (IOException e) {
      throw new UncheckedIOException("Cannot plan the scan of snapshot " + to.snapshotId(), e);
    }
    tasks.sort(Comparator.comparingLong((FileScanTask task) -> task.file().dataSequenceNumber()).thenComparingLong(task -> task.start()));
    Map<Long, Long> snapshotIds = new HashMap<>();
    for (Snapshot snapshot : table.snapshots()) {
      snapshotIds.put(snapshot.sequenceNumber(), snapshot.snapshotId());
    }
    return new Plan(!incremental, tasks, snapshotIds);
  }

  /** Streams the live rows of one task, with the version of the file they came from. */
  public void read(Plan plan, FileScanTask task, Consumer<OnlineFeature> sink) {
    FeatureVersion version = plan.versionOf(task);
    Schema schema = table.schema();
    GenericDeleteFilter deletes = task.deletes().isEmpty() ? null : new GenericDeleteFilter(table.io(), task, schema, schema);
    Schema readSchema = deletes == null ? schema : deletes.requiredSchema();
    CloseableIterable<Record> rows =
        Parquet.read(table.io().newInputFile(task.file().location()))
            .project(readSchema)
            .split(task.start(), task.length())
            .createReaderFunc(fileSchema -> GenericParquetReaders.buildReader(readSchema, fileSchema))
            .build();
    try (CloseableIterable<Record> live = deletes == null ? rows : deletes.filter(rows)) {
      for (Record record : live) {
        sink.accept(OnlineFeature.of(FeatureTable.fromRecord(record), version));
      }
    } catch (IOException e) {
      throw new UncheckedIOException("Cannot read " + task.file().location(), e);
    }
  }
}
