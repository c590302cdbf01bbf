package dev.featurestore.replicator.sync;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.featurestore.api.FeatureRow;
import dev.featurestore.api.KafkaSource;
import dev.featurestore.api.ModelId;
import dev.featurestore.iceberg.CatalogSettings;
import dev.featurestore.iceberg.FeatureTable;
import dev.featurestore.iceberg.testing.FeatureTables;
import dev.featurestore.testing.FeatureRows;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.function.Function;
import org.apache.hadoop.conf.Configuration;
import org.apache.iceberg.DataFile;
import org.apache.iceberg.FileScanTask;
import org.apache.iceberg.MetadataColumns;
import org.apache.iceberg.Schema;
import org.apache.iceberg.Table;
import org.apache.iceberg.TableProperties;
import org.apache.iceberg.data.GenericDeleteFilter;
import org.apache.iceberg.data.GenericRecord;
import org.apache.iceberg.data.Record;
import org.apache.iceberg.data.parquet.GenericParquetReaders;
import org.apache.iceberg.data.parquet.GenericParquetWriter;
import org.apache.iceberg.deletes.EqualityDeleteWriter;
import org.apache.iceberg.io.CloseableIterable;
import org.apache.iceberg.io.DataWriter;
import org.apache.iceberg.io.FileAppender;
import org.apache.iceberg.io.InputFile;
import org.apache.iceberg.io.OutputFile;
import org.apache.iceberg.parquet.Parquet;
import org.apache.iceberg.parquet.ParquetValueReader;
import org.apache.iceberg.types.TypeUtil;
import org.apache.parquet.bytes.BytesInput;
import org.apache.parquet.bytes.BytesUtils;
import org.apache.parquet.bytes.HeapByteBufferAllocator;
import org.apache.parquet.column.ColumnDescriptor;
import org.apache.parquet.column.Encoding;
import org.apache.parquet.column.page.DataPage;
import org.apache.parquet.column.page.DataPageV1;
import org.apache.parquet.column.page.DictionaryPage;
import org.apache.parquet.column.page.PageReadStore;
import org.apache.parquet.column.page.PageReader;
import org.apache.parquet.column.values.plain.PlainValuesWriter;
import org.apache.parquet.column.values.rle.RunLengthBitPackingHybridValuesWriter;
import org.apache.parquet.hadoop.ParquetFileReader;
import org.apache.parquet.hadoop.metadata.ColumnChunkMetaData;
import org.apache.parquet.hadoop.util.HadoopInputFile;
import org.apache.parquet.schema.MessageType;
import org.apache.parquet.schema.PrimitiveType.PrimitiveTypeName;
import org.apache.parquet.schema.Types;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The direct readers against Iceberg's generic readers, on real data files of a real table. */
class FeatureRowReadersTest {

  private static final Instant T0 = Instant.parse("2026-11-25T10:00:00.123456Z");
  private static final ModelId OTHER_MODEL = ModelId.of("other-model", "sha256:fedcba9876543210");

  @TempDir Path stateDir;
  private Table table;

  @BeforeEach
  void createTable() {
    CatalogSettings settings = CatalogSettings.defaults();
    table = settings.featureTable(settings.load(stateDir));
  }

  @Test
  void decodesEveryRowAsTheGenericReader() {
    List<FeatureRow> written = rows(0, 500);
    DataFile file = FeatureTables.fileOf(table, FeatureTables.append(table, written));

    List<FeatureRow> generic = generic(file.location(), 0, file.fileSizeInBytes());
    List<FeatureRow> direct = direct(file.location(), 0, file.fileSizeInBytes());

    assertThat(generic).isEqualTo(written);
    assertThat(direct).isEqualTo(generic);
  }

  @Test
  void decodesDeletionRowsAndFilesWrittenBeforeTheDeletedColumn() {
    List<FeatureRow> written = new java.util.ArrayList<>(rows(0, 10));
    written.add(3, FeatureRow.deletion("deleted-3", OTHER_MODEL, T0, T0.plusSeconds(1)));
    written.add(FeatureRow.deletion("deleted-last", OTHER_MODEL, T0, T0.plusSeconds(2)));
    DataFile withDeletions = FeatureTables.fileOf(table, FeatureTables.append(table, written));

    assertThat(generic(withDeletions.location(), 0, withDeletions.fileSizeInBytes()))
        .isEqualTo(written);
    assertThat(direct(withDeletions.location(), 0, withDeletions.fileSizeInBytes()))
        .isEqualTo(written);

    // a file of a table created before the column: no such column in the file at all
    Schema before =
        TypeUtil.selectNot(
            table.schema(), Set.of(FeatureTable.SCHEMA.findField(FeatureTable.DELETED).fieldId()));
    List<FeatureRow> old = rows(20, 5);
    InputFile oldFile = writeFile(before, old);
    Schema projection = FeatureRowReaders.projection(table.schema());
    List<FeatureRow> read = new java.util.ArrayList<>();
    try (CloseableIterable<FeatureRow> rows =
        FeatureRowReaders.rows(oldFile, projection, 0, oldFile.getLength())) {
      rows.forEach(read::add);
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
    assertThat(read).isEqualTo(old);
  }

  /** A Parquet file of {@code rows} in {@code schema}, outside the table's metadata. */
  private InputFile writeFile(Schema schema, List<FeatureRow> rows) {
    OutputFile out =
        table
            .io()
            .newOutputFile(stateDir.resolve("old-" + UUID.randomUUID() + ".parquet").toString());
    try (FileAppender<Record> appender =
        Parquet.write(out).schema(schema).createWriterFunc(GenericParquetWriter::create).build()) {
      for (FeatureRow row : rows) {
        Record full = FeatureTable.toRecord(table.schema(), row, KafkaSource.of("documents", 0, 0));
        Record record = GenericRecord.create(schema);
        for (org.apache.iceberg.types.Types.NestedField field : schema.columns()) {
          record.setField(field.name(), full.getField(field.name()));
        }
        appender.add(record);
      }
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
    return out.toInputFile();
  }

  @Test
  void decodesEveryPageLayout() throws IOException {
    // parquet-java writes random floats as plain pages, few distinct floats as dictionary pages
    List<FeatureRow> random = rows(0, 600);
    List<FeatureRow> quantized = quantized(rows(600, 600));
    Map<String, String> smallPages = Map.of(TableProperties.PARQUET_PAGE_SIZE_BYTES, "8192");
    Map<String, String> v2 = Map.of(TableProperties.PARQUET_PAGE_VERSION, "v2");
    Map<String, String> v2SmallPages =
        Map.of(
            TableProperties.PARQUET_PAGE_VERSION,
            "v2",
            TableProperties.PARQUET_PAGE_SIZE_BYTES,
            "8192");

    assertDecodes(appendFile(random, smallPages), random, false, false, true);
    assertDecodes(appendFile(quantized, Map.of()), quantized, true, false, false);
    assertDecodes(appendFile(random, v2), random, false, true, false);
    assertDecodes(appendFile(quantized, v2SmallPages), quantized, true, true, true);
  }

  @Test
  void readsListsAcrossPagesAndNullAndEmptyLists() {
    // as other writers may write it: an optional list of optional floats, a row split across two v1
    // pages
    MessageType file =
        Types.buildMessage()
            .optionalList()
            .optionalElement(PrimitiveTypeName.FLOAT)
            .named("embedding")
            .named("table");
    ColumnDescriptor desc = file.getColumns().get(0);
    int nullList = 0; // the definition levels of this layout
    int emptyList = 1;
    int nullElement = 2;
    int present = 3;
    DataPage first =
        page(
            desc,
            new int[][] {
              {0, present, 1}, {1, present, 2}, {1, present, 3}, {0, present, 4}, {1, present, 5}
            });
    DataPage second =
        page(
            desc,
            new int[][] {
              {1, present, 6},
              {1, present, 7},
              {0, nullList},
              {0, emptyList},
              {0, present, 8},
              {0, present, 9},
              {1, nullElement}
            });
    ParquetValueReader<float[]> reader =
        FeatureRowReaders.floatList(file, file.getType("embedding"));
    reader.setPageSource(pages(desc, 7, first, second));

    assertThat(reader.read(null)).containsExactly(1, 2, 3);
    assertThat(reader.read(null)).containsExactly(4, 5, 6, 7);
    assertThat(reader.read(null)).isNull();
    assertThat(reader.read(null)).isEmpty();
    assertThat(reader.read(null)).containsExactly(8);
    assertThatThrownBy(() -> reader.read(null))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("null element at index 1");
  }

  @Test
  void readsEverySplitOfAFileOnce() {
    List<FeatureRow> written = rows(0, 2000);
    DataFile file =
        appendFile(written, Map.of(TableProperties.PARQUET_ROW_GROUP_SIZE_BYTES, "65536"));
    List<Long> offsets = file.splitOffsets();
    assertThat(offsets).as("row groups").hasSizeGreaterThan(3);

    List<FeatureRow> byRowGroup = new ArrayList<>();
    for (int i = 0; i < offsets.size(); i++) {
      long start = offsets.get(i);
      long end = i + 1 < offsets.size() ? offsets.get(i + 1) : file.fileSizeInBytes();
      List<FeatureRow> split = direct(file.location(), start, end - start);
      assertThat(split).isNotEmpty().isEqualTo(generic(file.location(), start, end - start));
      byRowGroup.addAll(split);
    }
    assertThat(byRowGroup).isEqualTo(written);

    // splits that do not fall on row groups: each row group goes to the split holding its middle
    List<FeatureRow> byThirds = new ArrayList<>();
    long third = file.fileSizeInBytes() / 3 + 1;
    for (long start = 0; start < file.fileSizeInBytes(); start += third) {
      List<FeatureRow> split = direct(file.location(), start, third);
      assertThat(split).isEqualTo(generic(file.location(), start, third));
      byThirds.addAll(split);
    }
    assertThat(byThirds).isEqualTo(written);
  }

  @Test
  void appliesEqualityAndPositionDeletesAsTheGenericFilter() {
    List<FeatureRow> first = rows(0, 300);
    List<FeatureRow> second = rows(300, 300);
    DataFile firstFile = FeatureTables.fileOf(table, FeatureTables.append(table, first));
    FeatureTables.append(table, second);
    FeatureTables.eraseAndAppend(table, List.of("doc-5", "doc-310"), List.of());
    FeatureTables.deletePositions(table, firstFile, 0, 7, 299);

    Schema projection = FeatureRowReaders.projection(table.schema());
    List<FeatureRow> direct = new ArrayList<>();
    int tasks = 0;
    for (FileScanTask task : tasks()) {
      tasks++;
      assertThat(task.deletes()).isNotEmpty();
      FeatureRowReaders.LiveRowDeleteFilter deletes =
          new FeatureRowReaders.LiveRowDeleteFilter(table.io(), task, table.schema(), projection);
      assertThat(FeatureRowReaders.canRead(deletes.requiredSchema())).isTrue();
      List<FeatureRow> rows = live(task, deletes);
      assertThat(rows).isEqualTo(generic(task));
      direct.addAll(rows);
    }

    assertThat(tasks).isEqualTo(2);
    Set<String> deleted = Set.of("doc-0", "doc-5", "doc-7", "doc-299", "doc-310");
    List<FeatureRow> survivors = new ArrayList<>(first);
    survivors.addAll(second);
    survivors.removeIf(row -> deleted.contains(row.docId()));
    assertThat(direct).containsExactlyInAnyOrderElementsOf(survivors);
  }

  @Test
  void fullResyncReadsTheLiveRowsOfTheTable() {
    List<FeatureRow> first = rows(0, 200);
    List<FeatureRow> second = rows(200, 200);
    DataFile firstFile = FeatureTables.fileOf(table, FeatureTables.append(table, first));
    FeatureTables.append(table, second);
    FeatureTables.eraseAndAppend(table, List.of("doc-3"), List.of());
    FeatureTables.deletePositions(table, firstFile, 10);
    List<FeatureRow> third = rows(400, 100);
    FeatureTables.append(table, third);

    List<FeatureRow> expected = new ArrayList<>(first);
    expected.addAll(second);
    expected.addAll(third);
    expected.removeIf(row -> row.docId().equals("doc-3") || row.docId().equals("doc-10"));
    assertThat(resync()).containsExactlyInAnyOrderElementsOf(expected);
  }

  @Test
  void fallsBackToRecordsForDeletesOnOtherColumns() {
    List<FeatureRow> written = rows(0, 300);
    appendFile(written, Map.of());
    eraseOffsets(42, 99);

    Schema projection = FeatureRowReaders.projection(table.schema());
    Schema withOffset = TypeUtil.join(projection, table.schema().select(FeatureTable.KAFKA_OFFSET));
    Schema withPosition = TypeUtil.join(projection, new Schema(MetadataColumns.ROW_POSITION));
    assertThat(FeatureRowReaders.canRead(projection)).isTrue();
    assertThat(FeatureRowReaders.canRead(withPosition)).isTrue();
    assertThat(FeatureRowReaders.canRead(withOffset)).isFalse();

    List<FeatureRow> expected = new ArrayList<>(written);
    expected.removeIf(row -> row.docId().equals("doc-42") || row.docId().equals("doc-99"));
    assertThat(resync()).containsExactlyElementsOf(expected);
  }

  /**
   * Rows with distinct vectors, times (event and processing time differ) and, every seventh row,
   * another model.
   */
  private static List<FeatureRow> rows(int from, int count) {
    List<FeatureRow> rows = new ArrayList<>(count);
    for (int i = from; i < from + count; i++) {
      FeatureRow row = FeatureRows.row("doc-" + i, i, T0.plusMillis(i));
      rows.add(
          i % 7 == 0
              ? new FeatureRow(
                  row.docId(), row.embedding(), OTHER_MODEL, row.eventTime(), row.processedAt())
              : row);
    }
    return rows;
  }

  /** The same rows with each float rounded to a multiple of 1/64: a few dozen distinct floats. */
  private static List<FeatureRow> quantized(List<FeatureRow> rows) {
    List<FeatureRow> quantized = new ArrayList<>(rows.size());
    for (FeatureRow row : rows) {
      float[] vector = row.embedding().clone();
      for (int i = 0; i < vector.length; i++) {
        vector[i] = Math.round(vector[i] * 64) / 64f;
      }
      quantized.add(
          new FeatureRow(row.docId(), vector, row.model(), row.eventTime(), row.processedAt()));
    }
    return quantized;
  }

  /**
   * Both readers read {@code written} back, from pages of the expected kind (so that the test
   * covers them).
   */
  private void assertDecodes(
      DataFile file, List<FeatureRow> written, boolean dictionary, boolean v2, boolean manyPages)
      throws IOException {
    try (ParquetFileReader reader =
        ParquetFileReader.open(
            HadoopInputFile.fromPath(
                new org.apache.hadoop.fs.Path(file.location()), new Configuration()))) {
      ColumnChunkMetaData embedding =
          reader.getRowGroups().get(0).getColumns().stream()
              .filter(
                  column -> column.getPath().toDotString().startsWith(FeatureTable.EMBEDDING + "."))
              .findFirst()
              .orElseThrow();
      assertThat(embedding.getEncodingStats().hasDictionaryEncodedPages())
          .as("dictionary pages")
          .isEqualTo(dictionary);
      assertThat(embedding.getEncodingStats().usesV2Pages()).as("v2 pages").isEqualTo(v2);
      assertThat(reader.readOffsetIndex(embedding).getPageCount())
          .as("pages")
          .matches(pages -> manyPages == pages > 5);
    }
    List<FeatureRow> direct = direct(file.location(), 0, file.fileSizeInBytes());
    assertThat(direct)
        .isEqualTo(generic(file.location(), 0, file.fileSizeInBytes()))
        .isEqualTo(written);
  }

  private List<FeatureRow> resync() {
    TableChangeReader reader = new TableChangeReader(table);
    TableChangeReader.Plan plan = reader.plan(null, table.currentSnapshot());
    assertThat(plan.fullResync()).isTrue();
    List<FeatureRow> rows = new ArrayList<>();
    for (TableChangeReader.Change change : plan.changes()) {
      reader.read(
          change,
          feature -> rows.add(feature.row()),
          (docId, version) -> {
            throw new AssertionError("A full resync erases nothing: " + docId);
          });
    }
    return rows;
  }

  private List<FileScanTask> tasks() {
    List<FileScanTask> tasks = new ArrayList<>();
    try (CloseableIterable<FileScanTask> planned = table.newScan().planFiles()) {
      planned.forEach(tasks::add);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return tasks;
  }

  private List<FeatureRow> direct(String location, long start, long length) {
    Schema projection = FeatureRowReaders.projection(table.schema());
    return collect(
        FeatureRowReaders.rows(table.io().newInputFile(location), projection, start, length),
        Function.identity());
  }

  private List<FeatureRow> generic(String location, long start, long length) {
    Schema schema = table.schema();
    return read(
        location,
        schema,
        start,
        length,
        file -> GenericParquetReaders.buildReader(schema, file),
        FeatureTable::fromRecord);
  }

  /**
   * The live rows of a task as the replicator read them before the direct readers: records, deletes
   * applied.
   */
  private List<FeatureRow> generic(FileScanTask task) {
    GenericDeleteFilter deletes =
        new GenericDeleteFilter(table.io(), task, table.schema(), table.schema());
    Schema required = deletes.requiredSchema();
    CloseableIterable<Record> records =
        Parquet.read(table.io().newInputFile(task.file().location()))
            .project(required)
            .split(task.start(), task.length())
            .createReaderFunc(file -> GenericParquetReaders.buildReader(required, file))
            .build();
    return collect(deletes.filter(records), FeatureTable::fromRecord);
  }

  private List<FeatureRow> live(FileScanTask task, FeatureRowReaders.LiveRowDeleteFilter deletes) {
    return collect(
        FeatureRowReaders.liveRows(
            table.io().newInputFile(task.file().location()), deletes, task.start(), task.length()),
        Function.identity());
  }

  private <T> List<FeatureRow> read(
      String location,
      Schema schema,
      long start,
      long length,
      Function<MessageType, ParquetValueReader<?>> readers,
      Function<T, FeatureRow> toRow) {
    InputFile input = table.io().newInputFile(location);
    CloseableIterable<T> values =
        Parquet.read(input).project(schema).split(start, length).createReaderFunc(readers).build();
    return collect(values, toRow);
  }

  private static <T> List<FeatureRow> collect(
      CloseableIterable<T> values, Function<T, FeatureRow> toRow) {
    List<FeatureRow> rows = new ArrayList<>();
    try (values) {
      for (T value : values) {
        rows.add(toRow.apply(value));
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return rows;
  }

  /**
   * A v1 page of triples {repetition level, definition level, float if defined to the column's
   * maximum level}.
   */
  private static DataPage page(ColumnDescriptor desc, int[][] triples) {
    RunLengthBitPackingHybridValuesWriter repetition = levels(desc.getMaxRepetitionLevel());
    RunLengthBitPackingHybridValuesWriter definition = levels(desc.getMaxDefinitionLevel());
    PlainValuesWriter floats =
        new PlainValuesWriter(64, 1024, HeapByteBufferAllocator.getInstance());
    for (int[] triple : triples) {
      repetition.writeInteger(triple[0]);
      definition.writeInteger(triple[1]);
      if (triple[1] == desc.getMaxDefinitionLevel()) {
        floats.writeFloat(triple[2]);
      }
    }
    BytesInput bytes =
        BytesInput.concat(repetition.getBytes(), definition.getBytes(), floats.getBytes());
    return new DataPageV1(
        bytes,
        triples.length,
        Math.toIntExact(bytes.size()),
        null,
        Encoding.RLE,
        Encoding.RLE,
        Encoding.PLAIN);
  }

  private static RunLengthBitPackingHybridValuesWriter levels(int maxLevel) {
    return new RunLengthBitPackingHybridValuesWriter(
        BytesUtils.getWidthFromMaxInt(maxLevel), 64, 1024, HeapByteBufferAllocator.getInstance());
  }

  private static PageReadStore pages(ColumnDescriptor column, long rows, DataPage... pages) {
    Deque<DataPage> queue = new ArrayDeque<>(List.of(pages));
    PageReader reader =
        new PageReader() {
          @Override
          public DictionaryPage readDictionaryPage() {
            return null;
          }

          @Override
          public long getTotalValueCount() {
            return List.of(pages).stream().mapToLong(DataPage::getValueCount).sum();
          }

          @Override
          public DataPage readPage() {
            return queue.poll();
          }
        };
    return new PageReadStore() {
      @Override
      public PageReader getPageReader(ColumnDescriptor desc) {
        assertThat(desc).isEqualTo(column);
        return reader;
      }

      @Override
      public long getRowCount() {
        return rows;
      }
    };
  }

  /**
   * Appends the rows (row i with Kafka offset i) in one file written with these table properties.
   */
  private DataFile appendFile(List<FeatureRow> rows, Map<String, String> properties) {
    OutputFile out =
        table
            .io()
            .newOutputFile(
                table.locationProvider().newDataLocation("test-" + UUID.randomUUID() + ".parquet"));
    try {
      DataWriter<Record> writer =
          Parquet.writeData(out)
              .schema(table.schema())
              .withSpec(table.specs().get(0))
              .setAll(properties)
              .createWriterFunc(GenericParquetWriter::create)
              .overwrite()
              .build();
      try (writer) {
        for (int i = 0; i < rows.size(); i++) {
          writer.write(
              FeatureTable.toRecord(table.schema(), rows.get(i), KafkaSource.of("docs", 0, i)));
        }
      }
      table.newAppend().appendFile(writer.toDataFile()).commit();
      return writer.toDataFile();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** An equality delete on the Kafka offset column, a column a feature row does not have. */
  private void eraseOffsets(long... offsets) {
    Schema offsetOnly = table.schema().select(FeatureTable.KAFKA_OFFSET);
    OutputFile out =
        table
            .io()
            .newOutputFile(
                table
                    .locationProvider()
                    .newDataLocation("test-deletes-" + UUID.randomUUID() + ".parquet"));
    try {
      EqualityDeleteWriter<Record> writer =
          Parquet.writeDeletes(out)
              .forTable(table)
              .withSpec(table.specs().get(0))
              .rowSchema(offsetOnly)
              .equalityFieldIds(offsetOnly.findField(FeatureTable.KAFKA_OFFSET).fieldId())
              .createWriterFunc(GenericParquetWriter::create)
              .overwrite()
              .buildEqualityWriter();
      try (writer) {
        GenericRecord template = GenericRecord.create(offsetOnly);
        for (long offset : offsets) {
          writer.write(template.copy(FeatureTable.KAFKA_OFFSET, offset));
        }
      }
      table.newRowDelta().addDeletes(writer.toDeleteFile()).commit();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
