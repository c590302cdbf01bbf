package dev.featurestore.iceberg.testing;

import dev.featurestore.api.FeatureRow;
import dev.featurestore.iceberg.FeatureTable;
import dev.featurestore.testing.FeatureRows;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.List;
import java.util.UUID;
import org.apache.iceberg.DataFile;
import org.apache.iceberg.DeleteFile;
import org.apache.iceberg.RowDelta;
import org.apache.iceberg.Table;
import org.apache.iceberg.data.GenericRecord;
import org.apache.iceberg.data.Record;
import org.apache.iceberg.data.parquet.GenericParquetWriter;
import org.apache.iceberg.deletes.EqualityDeleteWriter;
import org.apache.iceberg.io.DataWriter;
import org.apache.iceberg.io.OutputFile;
import org.apache.iceberg.parquet.Parquet;

/**
 * Test data written to the feature table: rows (see {@link FeatureRows}) appended as one snapshot
 * per call, and deletes.
 */
public final class FeatureTables {

  private FeatureTables() {}

  /** Appends the rows in one data file and one snapshot; returns the snapshot id. */
  public static long append(Table table, List<FeatureRow> rows) {
    table.newAppend().appendFile(dataFile(table, rows)).commit();
    return table.currentSnapshot().snapshotId();
  }

  /**
   * Erases doc ids with one equality-delete file (under the unpartitioned spec, as the writer's
   * tombstones) and adds rows, in one RowDelta snapshot; returns its id.
   */
  public static long eraseAndAppend(Table table, List<String> erasedIds, List<FeatureRow> rows) {
    RowDelta delta = table.newRowDelta();
    if (!erasedIds.isEmpty()) {
      delta.addDeletes(equalityDeletes(table, erasedIds));
    }
    if (!rows.isEmpty()) {
      delta.addRows(dataFile(table, rows));
    }
    delta.commit();
    return table.currentSnapshot().snapshotId();
  }

  /**
   * Replaces data files by one new file of the same rows, as a compaction job would; returns the
   * snapshot id.
   */
  public static long rewrite(Table table, List<DataFile> old, List<FeatureRow> rows) {
    table
        .newRewrite()
        .rewriteFiles(new java.util.HashSet<>(old), java.util.Set.of(dataFile(table, rows)))
        .commit();
    return table.currentSnapshot().snapshotId();
  }

  /** Deletes rows by position (as maintenance or GDPR jobs do); returns the snapshot id. */
  public static long deletePositions(Table table, DataFile file, long... positions) {
    OutputFile out =
        table
            .io()
            .newOutputFile(
                table
                    .locationProvider()
                    .newDataLocation("test-pos-deletes-" + UUID.randomUUID() + ".parquet"));
    try {
      org.apache.iceberg.deletes.PositionDeleteWriter<Record> writer =
          Parquet.writeDeletes(out)
              .withSpec(table.specs().get(file.specId()))
              .withPartition(file.partition())
              .overwrite()
              .buildPositionWriter();
      try (writer) {
        for (long position : positions) {
          writer.write(
              org.apache.iceberg.deletes.PositionDelete.<Record>create()
                  .set(file.location(), position));
        }
      }
      table.newRowDelta().addDeletes(writer.toDeleteFile()).commit();
      return table.currentSnapshot().snapshotId();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /**
   * Copy-on-write: replaces a data file by one holding {@code rows} (an "overwrite"); returns the
   * snapshot id.
   */
  public static long overwrite(Table table, DataFile old, List<FeatureRow> rows) {
    org.apache.iceberg.OverwriteFiles overwrite = table.newOverwrite().deleteFile(old);
    if (!rows.isEmpty()) {
      overwrite.addFile(dataFile(table, rows));
    }
    overwrite.commit();
    return table.currentSnapshot().snapshotId();
  }

  /** The data file the snapshot added (test tables add one file per snapshot). */
  public static DataFile fileOf(Table table, long snapshotId) {
    return org.apache.iceberg.SnapshotChanges.builderFor(table)
        .snapshot(table.snapshot(snapshotId))
        .build()
        .addedDataFiles()
        .iterator()
        .next();
  }

  private static DeleteFile equalityDeletes(Table table, List<String> docIds) {
    OutputFile file =
        table
            .io()
            .newOutputFile(
                table
                    .locationProvider()
                    .newDataLocation("test-deletes-" + UUID.randomUUID() + ".parquet"));
    try {
      EqualityDeleteWriter<Record> writer =
          Parquet.writeDeletes(file)
              .forTable(table)
              .withSpec(table.specs().get(0))
              .rowSchema(FeatureTable.DOC_ID_DELETE_SCHEMA)
              .equalityFieldIds(FeatureTable.SCHEMA.findField(FeatureTable.DOC_ID).fieldId())
              .createWriterFunc(GenericParquetWriter::create)
              .overwrite()
              .buildEqualityWriter();
      try (writer) {
        GenericRecord template = GenericRecord.create(FeatureTable.DOC_ID_DELETE_SCHEMA);
        for (String docId : docIds) {
          writer.write(template.copy(FeatureTable.DOC_ID, docId));
        }
      }
      return writer.toDeleteFile();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static DataFile dataFile(Table table, List<FeatureRow> rows) {
    OutputFile file =
        table
            .io()
            .newOutputFile(
                table.locationProvider().newDataLocation("test-" + UUID.randomUUID() + ".parquet"));
    DataWriter<Record> writer;
    try {
      writer =
          Parquet.writeData(file)
              // the table's own file settings (zstd, bloom filter), so tests and benchmarks read
              // what the writer writes
              .setAll(table.properties())
              .schema(table.schema())
              .createWriterFunc(GenericParquetWriter::create)
              .withSpec(table.specs().get(0))
              .overwrite()
              .build();
      try (writer) {
        for (FeatureRow row : rows) {
          writer.write(FeatureTable.toRecord(row));
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return writer.toDataFile();
  }
}
