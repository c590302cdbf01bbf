package dev.featurestore.writer.ingest;

import dev.featurestore.common.FeatureRow;
import dev.featurestore.common.FeatureTable;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.iceberg.AppendFiles;
import org.apache.iceberg.DataFile;
import org.apache.iceberg.FileFormat;
import org.apache.iceberg.PartitionKey;
import org.apache.iceberg.Table;
import org.apache.iceberg.data.GenericFileWriterFactory;
import org.apache.iceberg.data.InternalRecordWrapper;
import org.apache.iceberg.data.Record;
import org.apache.iceberg.encryption.EncryptedOutputFile;
import org.apache.iceberg.io.DataWriter;
import org.apache.iceberg.io.OutputFileFactory;

/**
 * Appends one micro-batch to the table as one Parquet file and one snapshot. All rows of a batch share one
 * processing time, hence one day partition and one file.
 */
public final class FeatureTableAppender {

  private final Table table;
  private final GenericFileWriterFactory writers;
  private final OutputFileFactory files;
  private final AtomicInteger fileCount = new AtomicInteger();

  public FeatureTableAppender(Table table) {
    this.table = table;
    this.writers = new GenericFileWriterFactory.Builder(table).dataFileFormat(FileFormat.PARQUET).build();
    this.files =
        OutputFileFactory.builderFor(table, 0, ProcessHandle.current().pid())
            .format(FileFormat.PARQUET)
            .operationId(UUID.randomUUID().toString())
            .build();
  }

  public Table table() {
    return table;
  }

  /**
   * Writes the rows and commits them as one snapshot; returns its id. {@code summary} entries are recorded on the
   * snapshot (the writer's provenance).
   */
  public long append(List<FeatureRow> rows, Map<String, String> summary) {
    if (rows.isEmpty()) {
      throw new IllegalArgumentException("Invalid batch: no rows");
    }
    DataFile file = write(rows);
    AppendFiles append = table.newAppend().appendFile(file);
    summary.forEach(append::set);
    append.commit();
    return table.currentSnapshot().snapshotId();
  }

  private DataFile write(List<FeatureRow> rows) {
    PartitionKey partition = new PartitionKey(table.spec(), table.schema());
    Record first = FeatureTable.toRecord(rows.get(0));
    // partition transforms read Iceberg's internal representation (micros), not OffsetDateTime
    partition.partition(new InternalRecordWrapper(table.schema().asStruct()).wrap(first));
    EncryptedOutputFile output = files.newOutputFile(table.spec(), partition);
    DataWriter<Record> writer = writers.newDataWriter(output, table.spec(), partition);
    try (writer) {
      writer.write(first);
      for (int i = 1; i < rows.size(); i++) {
        writer.write(FeatureTable.toRecord(rows.get(i)));
      }
    } catch (IOException e) {
      throw new UncheckedIOException("Cannot write data file " + output.encryptingOutputFile().location(), e);
    }
    fileCount.incrementAndGet();
    return writer.toDataFile();
  }
}
