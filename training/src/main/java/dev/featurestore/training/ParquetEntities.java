package dev.featurestore.training;

import dev.featurestore.api.DocIds;
import dev.featurestore.api.Timestamps;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;
import org.apache.iceberg.Schema;
import org.apache.iceberg.data.Record;
import org.apache.iceberg.data.parquet.GenericParquetReaders;
import org.apache.iceberg.io.CloseableIterable;
import org.apache.iceberg.mapping.MappingUtil;
import org.apache.iceberg.parquet.Parquet;
import org.apache.iceberg.parquet.ParquetSchemaUtil;
import org.apache.iceberg.types.Type;
import org.apache.iceberg.types.Types;
import org.apache.parquet.hadoop.ParquetFileReader;
import org.apache.parquet.hadoop.util.HadoopInputFile;

/**
 * Streams the entities of a Parquet file (as Spark, pandas or DuckDB write them): a string {@code
 * doc_id} and a {@code timestamp} (a timestamp, with or without zone, read as UTC; or an RFC 3339
 * string); every other column is passed through with its type. Rows are read a page at a time.
 */
final class ParquetEntities implements EntityReader {

  private final String name;
  private final CloseableIterable<Record> records;
  private final Iterator<Record> rows;
  private final List<Types.NestedField> passThrough = new ArrayList<>();
  private long row;

  ParquetEntities(Path file) throws IOException {
    this.name = file.getFileName().toString();
    Schema schema;
    try (ParquetFileReader reader =
        ParquetFileReader.open(
            HadoopInputFile.fromPath(
                new org.apache.hadoop.fs.Path(file.toUri()),
                new org.apache.hadoop.conf.Configuration()))) {
      schema = ParquetSchemaUtil.convert(reader.getFooter().getFileMetaData().getSchema());
    } catch (RuntimeException e) {
      throw new EntityFileException(name, 0, "not a readable Parquet file: " + e.getMessage());
    }
    Types.NestedField docId = schema.findField(CsvEntities.DOC_ID);
    Types.NestedField timestamp = schema.findField(CsvEntities.TIMESTAMP);
    if (docId == null || timestamp == null) {
      throw new EntityFileException(
          name,
          0,
          "missing column "
              + (docId == null ? CsvEntities.DOC_ID : CsvEntities.TIMESTAMP)
              + " (the file must have doc_id and timestamp; it has: "
              + String.join(",", schema.columns().stream().map(Types.NestedField::name).toList())
              + ")");
    }
    if (docId.type().typeId() != Type.TypeID.STRING) {
      throw new EntityFileException(name, 0, "column doc_id is " + docId.type() + ", not a string");
    }
    Type.TypeID timestampType = timestamp.type().typeId();
    if (timestampType != Type.TypeID.TIMESTAMP && timestampType != Type.TypeID.STRING) {
      throw new EntityFileException(
          name, 0, "column timestamp is " + timestamp.type() + ", not a timestamp or a string");
    }
    for (Types.NestedField field : schema.columns()) {
      if (!field.name().equals(CsvEntities.DOC_ID) && !field.name().equals(CsvEntities.TIMESTAMP)) {
        passThrough.add(Types.NestedField.optional(field.fieldId(), field.name(), field.type()));
      }
    }
    this.records =
        Parquet.read(org.apache.iceberg.Files.localInput(file.toFile()))
            .project(schema)
            .withNameMapping(MappingUtil.create(schema))
            .createReaderFunc(fileSchema -> GenericParquetReaders.buildReader(schema, fileSchema))
            .build();
    this.rows = records.iterator();
  }

  @Override
  public List<Types.NestedField> passThroughFields() {
    return passThrough;
  }

  @Override
  public boolean hasNext() {
    return rows.hasNext();
  }

  @Override
  public Entity next() {
    if (!rows.hasNext()) {
      throw new NoSuchElementException();
    }
    Record record = rows.next();
    row++;
    Object id = record.getField(CsvEntities.DOC_ID);
    String violation = id == null ? "empty" : DocIds.violation(id.toString());
    if (violation != null) {
      throw error("column doc_id: invalid doc id: " + violation);
    }
    List<Object> values = new ArrayList<>(passThrough.size());
    for (Types.NestedField field : passThrough) {
      values.add(record.getField(field.name()));
    }
    return new Entity(
        id.toString(),
        asOf(record.getField(CsvEntities.TIMESTAMP)),
        Collections.unmodifiableList(values));
  }

  private Instant asOf(Object value) {
    if (value == null) {
      throw error("column timestamp: empty timestamp");
    }
    if (value instanceof OffsetDateTime zoned) {
      return zoned.toInstant();
    }
    if (value instanceof LocalDateTime local) {
      return local.toInstant(ZoneOffset.UTC);
    }
    try {
      return Timestamps.truncate(OffsetDateTime.parse(value.toString()).toInstant());
    } catch (java.time.format.DateTimeParseException e) {
      throw error(
          "column timestamp: unparseable timestamp '"
              + value
              + "' (expected RFC 3339 with an offset, such as 2026-12-03T10:15:30Z)");
    }
  }

  private EntityFileException error(String message) {
    return new EntityFileException(name, 0, "row " + row + ": " + message);
  }

  @Override
  public void close() {
    try {
      records.close();
    } catch (IOException e) {
      throw new UncheckedIOException("Cannot close " + name, e);
    }
  }
}
