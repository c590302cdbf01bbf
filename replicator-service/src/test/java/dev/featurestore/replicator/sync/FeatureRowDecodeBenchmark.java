package dev.featurestore.replicator.sync;

import dev.featurestore.api.FeatureRow;
import dev.featurestore.api.KafkaSource;
import dev.featurestore.iceberg.CatalogSettings;
import dev.featurestore.iceberg.FeatureTable;
import dev.featurestore.iceberg.testing.FeatureTables;
import dev.featurestore.testing.FeatureRows;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.UUID;
import java.util.function.ToLongFunction;
import org.apache.iceberg.FileScanTask;
import org.apache.iceberg.Schema;
import org.apache.iceberg.Table;
import org.apache.iceberg.TableProperties;
import org.apache.iceberg.data.GenericDeleteFilter;
import org.apache.iceberg.data.Record;
import org.apache.iceberg.data.parquet.GenericParquetReaders;
import org.apache.iceberg.data.parquet.GenericParquetWriter;
import org.apache.iceberg.io.CloseableIterable;
import org.apache.iceberg.io.DataWriter;
import org.apache.iceberg.io.OutputFile;
import org.apache.iceberg.parquet.Parquet;
import org.junit.jupiter.api.Test;

/**
 * Decoding only (no memcached): the rows/s of Iceberg's generic records turned into FeatureRows, as
 * the replicator read them before, against {@link FeatureRowReaders}, on N rows (default 200k,
 * {@code -Dbench.rows=N}) in 50k-row files, without deletes and with an equality delete on every
 * file. Files are compressed as the writer service writes them (the table's zstd); {@code
 * -Dbench.codec=gzip} gives the files of {@link FeatureTables} (Iceberg's default codec, which
 * ReplicatorBenchmark reads). Not run by the build (surefire runs {@code *Test} classes only); run
 * it with {@code mvn -B -o -pl replicator-service test -Dtest=FeatureRowDecodeBenchmark
 * -Dsurefire.failIfNoSpecifiedTests=false}. Nothing is asserted.
 */
class FeatureRowDecodeBenchmark {

  private static final int ROWS = Integer.getInteger("bench.rows", 200_000);
  private static final int FILE_ROWS = 50_000;
  private static final int ROUNDS = Integer.getInteger("bench.rounds", 5);
  private static final String CODEC = System.getProperty("bench.codec", "zstd");

  @Test
  void decode() throws IOException {
    Path stateDir = Files.createTempDirectory(Path.of("target"), "bench-decode-");
    CatalogSettings settings = CatalogSettings.defaults();
    Table table = settings.featureTable(settings.load(stateDir));
    Instant t0 = Instant.parse("2026-11-25T10:00:00Z");
    for (int start = 0; start < ROWS; start += FILE_ROWS) {
      List<FeatureRow> rows = new ArrayList<>(FILE_ROWS);
      for (int i = start; i < Math.min(ROWS, start + FILE_ROWS); i++) {
        rows.add(FeatureRows.row("doc-" + i, i, t0));
      }
      append(table, rows);
    }

    Schema projection = FeatureRowReaders.projection(table.schema());
    List<FileScanTask> tasks = tasks(table);
    measure(
        "no deletes",
        tasks,
        new Reader[] {
          new Reader(
              "generic records, every column (before)",
              task -> generic(table, task, table.schema())),
          new Reader("generic records, row columns only", task -> generic(table, task, projection)),
          new Reader("FeatureRowReaders", task -> direct(table, task, projection))
        });

    FeatureTables.eraseAndAppend(table, List.of("doc-1", "doc-" + (ROWS - 1)), List.of());
    List<FileScanTask> withDeletes = tasks(table);
    measure(
        "an equality delete on every file",
        withDeletes,
        new Reader[] {
          new Reader(
              "generic records + GenericDeleteFilter (before)",
              task -> genericLive(table, task, table.schema())),
          new Reader(
              "FeatureRowReaders + LiveRowDeleteFilter",
              task -> directLive(table, task, projection))
        });
  }

  private record Reader(String name, ToLongFunction<FileScanTask> read) {}

  /** Rounds alternate the readers; the best round of each is reported with the median. */
  private static void measure(String title, List<FileScanTask> tasks, Reader[] readers) {
    double[][] rates = new double[readers.length][ROUNDS];
    long rows = 0;
    for (int round = 0; round < ROUNDS; round++) {
      for (int r = 0; r < readers.length; r++) {
        long start = System.nanoTime();
        rows = 0;
        for (FileScanTask task : tasks) {
          rows += readers[r].read().applyAsLong(task);
        }
        rates[r][round] = rows / ((System.nanoTime() - start) / 1e9);
      }
    }
    System.out.printf(
        Locale.ROOT,
        "%nDecode %,d rows (%s), %s (%d rounds; the first one warms up the JIT):%n",
        rows,
        CODEC,
        title,
        ROUNDS);
    for (int r = 0; r < readers.length; r++) {
      double[] sorted = rates[r].clone();
      Arrays.sort(sorted);
      System.out.printf(
          Locale.ROOT,
          "  %-50s best %,9.0f rows/s, median %,9.0f rows/s, rounds %s%n",
          readers[r].name(),
          sorted[sorted.length - 1],
          sorted[sorted.length / 2],
          Arrays.toString(Arrays.stream(rates[r]).mapToLong(Math::round).toArray()));
    }
  }

  private static void append(Table table, List<FeatureRow> rows) {
    OutputFile out =
        table
            .io()
            .newOutputFile(
                table
                    .locationProvider()
                    .newDataLocation("bench-" + UUID.randomUUID() + ".parquet"));
    try {
      DataWriter<Record> writer =
          Parquet.writeData(out)
              .schema(table.schema())
              .withSpec(table.specs().get(0))
              .set(TableProperties.PARQUET_COMPRESSION, CODEC)
              .createWriterFunc(GenericParquetWriter::create)
              .overwrite()
              .build();
      try (writer) {
        for (FeatureRow row : rows) {
          // with the Kafka lineage columns, as the writer service writes rows
          writer.write(
              FeatureTable.toRecord(
                  table.schema(),
                  row,
                  KafkaSource.of("documents", 0, Long.parseLong(row.docId().substring(4)))));
        }
      }
      table.newAppend().appendFile(writer.toDataFile()).commit();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static List<FileScanTask> tasks(Table table) {
    List<FileScanTask> tasks = new ArrayList<>();
    try (CloseableIterable<FileScanTask> planned = table.newScan().planFiles()) {
      planned.forEach(tasks::add);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return tasks;
  }

  private static long generic(Table table, FileScanTask task, Schema schema) {
    CloseableIterable<Record> records =
        Parquet.read(table.io().newInputFile(task.file().location()))
            .project(schema)
            .split(task.start(), task.length())
            .createReaderFunc(file -> GenericParquetReaders.buildReader(schema, file))
            .build();
    return consume(records, record -> FeatureTable.fromRecord(record));
  }

  private static long genericLive(Table table, FileScanTask task, Schema requested) {
    GenericDeleteFilter deletes =
        new GenericDeleteFilter(table.io(), task, table.schema(), requested);
    Schema required = deletes.requiredSchema();
    CloseableIterable<Record> records =
        Parquet.read(table.io().newInputFile(task.file().location()))
            .project(required)
            .split(task.start(), task.length())
            .createReaderFunc(file -> GenericParquetReaders.buildReader(required, file))
            .build();
    return consume(deletes.filter(records), record -> FeatureTable.fromRecord(record));
  }

  private static long direct(Table table, FileScanTask task, Schema projection) {
    return consume(
        FeatureRowReaders.rows(
            table.io().newInputFile(task.file().location()),
            projection,
            task.start(),
            task.length()),
        row -> row);
  }

  private static long directLive(Table table, FileScanTask task, Schema projection) {
    FeatureRowReaders.LiveRowDeleteFilter deletes =
        new FeatureRowReaders.LiveRowDeleteFilter(table.io(), task, table.schema(), projection);
    return consume(
        FeatureRowReaders.liveRows(
            table.io().newInputFile(task.file().location()), deletes, task.start(), task.length()),
        row -> row);
  }

  /** Counts the rows; touching every row's vector keeps the JIT from dropping the decoding. */
  private static <T> long consume(
      CloseableIterable<T> values, java.util.function.Function<T, FeatureRow> toRow) {
    long count = 0;
    float sink = 0;
    try (values) {
      for (T value : values) {
        FeatureRow row = toRow.apply(value);
        sink += row.embedding()[row.embedding().length - 1];
        count++;
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return Float.isNaN(sink) ? -count : count;
  }
}
