package dev.featurestore.common.testing;

import dev.featurestore.common.Embeddings;
import dev.featurestore.common.FeatureRow;
import dev.featurestore.common.FeatureTable;
import dev.featurestore.common.ModelId;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Instant;
import java.util.List;
import java.util.Random;
import java.util.UUID;
import org.apache.iceberg.DataFile;
import org.apache.iceberg.Table;
import org.apache.iceberg.data.Record;
import org.apache.iceberg.data.parquet.GenericParquetWriter;
import org.apache.iceberg.io.DataWriter;
import org.apache.iceberg.io.OutputFile;
import org.apache.iceberg.parquet.Parquet;

/** Test data for the feature table: rows with recognisable vectors, appended as one snapshot per call. */
public final class FeatureTables {

  public static final ModelId TEST_MODEL = ModelId.of("test-model", "sha256:0123456789abcdef");

  private FeatureTables() {}

  /** A row whose unit vector is derived from {@code seed}, so two rows with different seeds differ. */
  public static FeatureRow row(String docId, long seed, Instant processedAt) {
    Random random = new Random(seed);
    float[] vector = new float[Embeddings.DIMENSION];
    double norm = 0;
    for (int i = 0; i < vector.length; i++) {
      vector[i] = (float) random.nextGaussian();
      norm += (double) vector[i] * vector[i];
    }
    for (int i = 0; i < vector.length; i++) {
      vector[i] = (float) (vector[i] / Math.sqrt(norm));
    }
    return new FeatureRow(docId, vector, TEST_MODEL, processedAt.minusMillis(5), processedAt);
  }

  /** Appends the rows in one unpartitioned-by-batch data file and one snapshot; returns the snapshot id. */
  public static long append(Table table, List<FeatureRow> rows) {
    OutputFile file =
        table.io().newOutputFile(table.locationProvider().newDataLocation("test-" + UUID.randomUUID() + ".parquet"));
    DataWriter<Record> writer;
    try {
      writer =
          Parquet.writeData(file)
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
    DataFile dataFile = writer.toDataFile();
    table.newAppend().appendFile(dataFile).commit();
    return table.currentSnapshot().snapshotId();
  }
}
