package dev.featurestore.writer.ingest;

import dev.featurestore.iceberg.FeatureTable;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.Collection;
import java.util.List;
import java.util.UUID;
import org.apache.iceberg.DataFile;
import org.apache.iceberg.DeleteFile;
import org.apache.iceberg.FileFormat;
import org.apache.iceberg.PartitionKey;
import org.apache.iceberg.PartitionSpec;
import org.apache.iceberg.Table;
import org.apache.iceberg.data.GenericFileWriterFactory;
import org.apache.iceberg.data.GenericRecord;
import org.apache.iceberg.data.InternalRecordWrapper;
import org.apache.iceberg.data.Record;
import org.apache.iceberg.deletes.EqualityDeleteWriter;
import org.apache.iceberg.encryption.EncryptedOutputFile;
import org.apache.iceberg.io.DataWriter;
import org.apache.iceberg.io.OutputFileFactory;

/**
 * Writes the Parquet files of one batch: a data file of its rows, deletions among them (all rows of
 * a batch share one processing time, hence one day partition), and an equality-delete file of the
 * doc ids it erases, written under the table's unpartitioned spec so that it erases the ids in
 * every day partition.
 */
final class FeatureFiles {

  private final Table table;
  private final GenericFileWriterFactory deleteWriters;
  private final OutputFileFactory files;

  FeatureFiles(Table table) {
    this.table = table;
    this.deleteWriters =
        new GenericFileWriterFactory.Builder(table)
            .dataFileFormat(FileFormat.PARQUET)
            .deleteFileFormat(FileFormat.PARQUET)
            .equalityFieldIds(
                new int[] {FeatureTable.SCHEMA.findField(FeatureTable.DOC_ID).fieldId()})
            .equalityDeleteRowSchema(FeatureTable.DOC_ID_DELETE_SCHEMA)
            .build();
    this.files =
        OutputFileFactory.builderFor(table, 0, ProcessHandle.current().pid())
            .format(FileFormat.PARQUET)
            .operationId(UUID.randomUUID().toString())
            .build();
  }

  DataFile writeRows(List<PreparedBatch.SourcedRow> rows) {
    PartitionSpec spec = table.spec();
    PartitionKey partition = new PartitionKey(spec, table.schema());
    // partition transforms read Iceberg's internal representation (micros), not OffsetDateTime
    partition.partition(
        new InternalRecordWrapper(table.schema().asStruct())
            .wrap(FeatureTable.toRecord(table.schema(), rows.get(0).row(), rows.get(0).source())));
    EncryptedOutputFile output = files.newOutputFile(spec, partition);
    DataWriter<Record> writer =
        FeatureTable.dataWriters(table, rows.size()).newDataWriter(output, spec, partition);
    try (writer) {
      for (PreparedBatch.SourcedRow row : rows) {
        writer.write(FeatureTable.toRecord(table.schema(), row.row(), row.source()));
      }
    } catch (IOException e) {
      throw new UncheckedIOException(
          "Cannot write data file " + output.encryptingOutputFile().location(), e);
    }
    return writer.toDataFile();
  }

  DeleteFile writeErasures(Collection<String> docIds) {
    PartitionSpec unpartitioned = unpartitionedSpec();
    EncryptedOutputFile output = files.newOutputFile(unpartitioned, null);
    EqualityDeleteWriter<Record> writer =
        deleteWriters.newEqualityDeleteWriter(output, unpartitioned, null);
    try (writer) {
      GenericRecord template = GenericRecord.create(FeatureTable.DOC_ID_DELETE_SCHEMA);
      for (String docId : docIds) {
        writer.write(template.copy(FeatureTable.DOC_ID, docId));
      }
    } catch (IOException e) {
      throw new UncheckedIOException(
          "Cannot write delete file " + output.encryptingOutputFile().location(), e);
    }
    return writer.toDeleteFile();
  }

  void discard(DataFile dataFile, DeleteFile deleteFile) {
    if (dataFile != null) {
      table.io().deleteFile(dataFile.location());
    }
    if (deleteFile != null) {
      table.io().deleteFile(deleteFile.location());
    }
  }

  private PartitionSpec unpartitionedSpec() {
    return table.specs().values().stream()
        .filter(PartitionSpec::isUnpartitioned)
        .findFirst()
        .orElseThrow(
            () ->
                new IllegalStateException(
                    "Table " + table.name() + " has no unpartitioned spec for erasures"));
  }
}
