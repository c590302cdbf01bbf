package dev.featurestore.training;

import dev.featurestore.api.DocIds;
import dev.featurestore.api.Timestamps;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.Reader;
import java.io.UncheckedIOException;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.NoSuchElementException;

/**
 * Streams the entities of a CSV file (RFC 4180: comma-separated, fields optionally in double
 * quotes, {@code ""} for a quote inside one, quoted fields may span lines; UTF-8). The header names
 * the columns: {@code doc_id} and {@code timestamp} (RFC 3339, with an offset) are required, in any
 * position; every other column is passed through. One record is in memory at a time, whatever the
 * file's size.
 */
final class CsvEntities implements EntityReader {

  static final String DOC_ID = "doc_id";
  static final String TIMESTAMP = "timestamp";

  /** The longest field read: a guard, so that a file without separators is not one huge field. */
  static final int MAX_FIELD_CHARS = 1 << 20;

  private final String name;
  private final Reader in;
  private final List<String> columns;
  private final List<String> passThroughColumns;
  private final int docIdColumn;
  private final int timestampColumn;
  private long line = 1; // the physical line the reader is on
  private long recordLine; // the line the current record started on
  private Entity next;
  private boolean done;

  CsvEntities(Path file) throws IOException {
    this(file.getFileName().toString(), Files.newInputStream(file));
  }

  CsvEntities(String name, InputStream stream) {
    this.name = name;
    CharsetDecoder utf8 =
        StandardCharsets.UTF_8
            .newDecoder()
            // replaced, then reported with the field's line: the decoder reads ahead of the records
            .onMalformedInput(CodingErrorAction.REPLACE)
            .onUnmappableCharacter(CodingErrorAction.REPLACE);
    this.in = new BufferedReader(new InputStreamReader(stream, utf8), 1 << 16);
    List<String> header = readRecord();
    if (header == null) {
      throw close(new EntityFileException(name, 0, "empty file: expected a header line"));
    }
    if (!header.isEmpty() && header.get(0) != null && header.get(0).startsWith("\uFEFF")) {
      header.set(0, header.get(0).substring(1)); // a byte order mark, as spreadsheets write
    }
    for (int i = 0; i < header.size(); i++) {
      String column = header.get(i);
      if (column == null || column.isBlank()) {
        throw close(
            new EntityFileException(name, 1, "column " + (i + 1) + " of the header has no name"));
      }
      if (header.subList(0, i).contains(column)) {
        throw close(new EntityFileException(name, 1, "column '" + column + "' appears twice"));
      }
    }
    this.columns = List.copyOf(header);
    this.docIdColumn = header.indexOf(DOC_ID);
    this.timestampColumn = header.indexOf(TIMESTAMP);
    if (docIdColumn < 0 || timestampColumn < 0) {
      throw close(
          new EntityFileException(
              name,
              1,
              "missing column "
                  + (docIdColumn < 0 ? DOC_ID : TIMESTAMP)
                  + " (the header must name doc_id and timestamp; it has: "
                  + String.join(",", header)
                  + ")"));
    }
    List<String> others = new ArrayList<>(columns);
    others.remove(DOC_ID);
    others.remove(TIMESTAMP);
    this.passThroughColumns = List.copyOf(others);
  }

  /** The columns other than doc_id and timestamp, in the file's order. */
  List<String> passThroughColumns() {
    return passThroughColumns;
  }

  /** CSV has no types: every other column is an optional string. */
  @Override
  public List<org.apache.iceberg.types.Types.NestedField> passThroughFields() {
    List<org.apache.iceberg.types.Types.NestedField> fields = new ArrayList<>();
    for (String column : passThroughColumns) {
      fields.add(
          org.apache.iceberg.types.Types.NestedField.optional(
              fields.size() + 1, column, org.apache.iceberg.types.Types.StringType.get()));
    }
    return fields;
  }

  @Override
  public boolean hasNext() {
    if (next == null && !done) {
      next = parseNext();
      done = next == null;
    }
    return next != null;
  }

  @Override
  public Entity next() {
    if (!hasNext()) {
      throw new NoSuchElementException();
    }
    Entity entity = next;
    next = null;
    return entity;
  }

  private Entity parseNext() {
    List<String> fields = readRecord();
    while (fields != null && fields.size() == 1 && fields.get(0) == null) {
      fields = readRecord(); // a blank line
    }
    if (fields == null) {
      return null;
    }
    if (fields.size() != columns.size()) {
      throw error(
          -1,
          "expected "
              + columns.size()
              + " fields ("
              + String.join(",", columns)
              + "), found "
              + fields.size());
    }
    String docId = fields.get(docIdColumn);
    String violation = docId == null ? "empty" : DocIds.violation(docId);
    if (violation != null) {
      throw error(docIdColumn, "invalid doc id: " + violation);
    }
    Instant asOf = parseTimestamp(fields.get(timestampColumn));
    List<String> rest = new ArrayList<>(passThroughColumns.size());
    for (int i = 0; i < fields.size(); i++) {
      if (i != docIdColumn && i != timestampColumn) {
        rest.add(fields.get(i));
      }
    }
    return new Entity(docId, asOf, Collections.unmodifiableList(rest));
  }

  /** RFC 3339: a date, {@code T} (or a space), a time and an offset ({@code Z} or ±hh:mm). */
  private Instant parseTimestamp(String value) {
    if (value == null) {
      throw error(timestampColumn, "empty timestamp");
    }
    String normalized = value.strip().toUpperCase(Locale.ROOT);
    if (normalized.length() > 10 && normalized.charAt(10) == ' ') {
      normalized = normalized.substring(0, 10) + 'T' + normalized.substring(11);
    }
    try {
      return Timestamps.truncate(
          OffsetDateTime.parse(normalized, DateTimeFormatter.ISO_OFFSET_DATE_TIME).toInstant());
    } catch (DateTimeParseException e) {
      throw error(
          timestampColumn,
          "unparseable timestamp '"
              + value
              + "' (expected RFC 3339 with an offset, such as 2026-12-03T10:15:30Z)");
    }
  }

  /** A problem of the current record, in {@code column} (-1: the record as a whole). */
  private EntityFileException error(int column, String message) {
    String where = column < 0 ? "" : "column " + (column + 1) + " (" + columns.get(column) + "): ";
    return new EntityFileException(name, recordLine, where + message);
  }

  /**
   * The fields of the next record (null for an empty unquoted field), or null at the end of the
   * file; a blank line is one null field.
   */
  private List<String> readRecord() {
    try {
      int c = in.read();
      if (c < 0) {
        return null;
      }
      recordLine = line;
      List<String> fields = new ArrayList<>();
      StringBuilder field = new StringBuilder();
      boolean quoted = false;
      boolean wasQuoted = false;
      while (true) {
        if (quoted) {
          if (c < 0) {
            throw new EntityFileException(
                name, recordLine, "a quoted field is not closed before the end of the file");
          }
          if (c == '"') {
            int peek = in.read();
            if (peek == '"') {
              field.append('"');
              c = in.read();
              continue;
            }
            quoted = false;
            c = peek;
            if (c >= 0 && c != ',' && c != '\n' && c != '\r') {
              throw new EntityFileException(
                  name,
                  line,
                  "field " + (fields.size() + 1) + ": characters after a closing quote");
            }
            continue;
          }
          if (c == '\n') {
            line++;
          }
          append(field, c, fields.size());
          c = in.read();
          continue;
        }
        if (c < 0 || c == '\n' || c == '\r' || c == ',') {
          if (field.indexOf("\uFFFD") >= 0) {
            throw new EntityFileException(
                name, recordLine, "field " + (fields.size() + 1) + ": not valid UTF-8");
          }
          fields.add(field.isEmpty() && !wasQuoted ? null : field.toString());
          field.setLength(0);
          wasQuoted = false;
          if (c == ',') {
            c = in.read();
            continue;
          }
          if (c == '\r') {
            c = in.read();
            if (c != '\n' && c >= 0) {
              throw new EntityFileException(name, line, "a carriage return without a line feed");
            }
          }
          line++;
          return fields;
        }
        if (c == '"' && field.isEmpty() && !wasQuoted) {
          quoted = true;
          wasQuoted = true;
          c = in.read();
          continue;
        }
        append(field, c, fields.size());
        c = in.read();
      }
    } catch (IOException e) {
      throw new UncheckedIOException("Cannot read " + name, e);
    }
  }

  private void append(StringBuilder field, int c, int index) {
    if (field.length() >= MAX_FIELD_CHARS) {
      throw new EntityFileException(
          name,
          recordLine,
          "field "
              + (index + 1)
              + " is longer than "
              + MAX_FIELD_CHARS
              + " characters: is this CSV?");
    }
    field.append((char) c);
  }

  private EntityFileException close(EntityFileException e) {
    try {
      in.close();
    } catch (IOException suppressed) {
      e.addSuppressed(suppressed);
    }
    return e;
  }

  @Override
  public void close() throws IOException {
    in.close();
  }

  @Override
  public String toString() {
    return name + " " + Arrays.toString(columns.toArray());
  }
}
