package dev.featurestore.replicator.sync;

import dev.featurestore.api.Embeddings;
import dev.featurestore.api.FeatureRow;
import dev.featurestore.api.ModelId;
import dev.featurestore.api.Preconditions;
import dev.featurestore.api.Timestamps;
import dev.featurestore.iceberg.FeatureTable;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.iceberg.FileScanTask;
import org.apache.iceberg.MetadataColumns;
import org.apache.iceberg.Schema;
import org.apache.iceberg.StructLike;
import org.apache.iceberg.data.DeleteFilter;
import org.apache.iceberg.io.CloseableIterable;
import org.apache.iceberg.io.FileIO;
import org.apache.iceberg.io.InputFile;
import org.apache.iceberg.parquet.Parquet;
import org.apache.iceberg.parquet.ParquetSchemaUtil;
import org.apache.iceberg.parquet.ParquetValueReader;
import org.apache.iceberg.parquet.ParquetValueReaders;
import org.apache.iceberg.types.Types;
import org.apache.parquet.bytes.ByteBufferInputStream;
import org.apache.parquet.bytes.BytesUtils;
import org.apache.parquet.column.ColumnDescriptor;
import org.apache.parquet.column.Dictionary;
import org.apache.parquet.column.Encoding;
import org.apache.parquet.column.ValuesType;
import org.apache.parquet.column.page.DataPage;
import org.apache.parquet.column.page.DataPageV1;
import org.apache.parquet.column.page.DataPageV2;
import org.apache.parquet.column.page.DictionaryPage;
import org.apache.parquet.column.page.PageReadStore;
import org.apache.parquet.column.page.PageReader;
import org.apache.parquet.column.values.ValuesReader;
import org.apache.parquet.column.values.bitpacking.BytePacker;
import org.apache.parquet.column.values.bitpacking.Packer;
import org.apache.parquet.schema.GroupType;
import org.apache.parquet.schema.MessageType;
import org.apache.parquet.schema.PrimitiveType.PrimitiveTypeName;
import org.apache.parquet.schema.Type;

/**
 * Parquet readers that decode the feature table's rows straight into {@link FeatureRow}s.
 *
 * <p>Iceberg's generic readers decode the embedding a float at a time and box each of its 384
 * floats into a {@code List<Float>}, and each timestamp into an {@code OffsetDateTime}, only for
 * {@link FeatureTable#fromRecord} to copy them out again: most of the CPU of a full re-warm. These
 * readers decode the embedding's pages in bulk into a {@code float[]} per row (see {@link
 * FloatListReader}), read the timestamps as epoch micros, and read only the columns a row is made
 * of.
 *
 * <p>Use {@link #buildReader} with {@code Parquet.read(file).project(projection(schema))}. When a
 * data file has deletes, {@link #buildLiveRowReader} reads the same values plus the row position as
 * {@link LiveRow}s, which {@link LiveRowDeleteFilter} filters as Iceberg's {@code
 * GenericDeleteFilter} filters records.
 */
final class FeatureRowReaders {

  // Slots of a row's values: readers are built in this order, whatever the order of the projected
  // schema.
  private static final int DOC_ID = 0;
  private static final int EMBEDDING = 1;
  private static final int MODEL_NAME = 2;
  private static final int MODEL_DIGEST = 3;
  private static final int EVENT_TIME = 4;
  private static final int PROCESSED_AT = 5;
  private static final int DELETED = 6;
  private static final int POSITION = 7;

  private static final float[] EMPTY = new float[0];

  private FeatureRowReaders() {}

  /** The columns of {@code tableSchema} a {@link FeatureRow} is made of. */
  static Schema projection(Schema tableSchema) {
    return tableSchema.select(
        FeatureTable.versionColumns(
            tableSchema,
            FeatureTable.DOC_ID,
            FeatureTable.EMBEDDING,
            FeatureTable.MODEL_NAME,
            FeatureTable.MODEL_DIGEST,
            FeatureTable.EVENT_TIME,
            FeatureTable.PROCESSED_AT));
  }

  /** The rows of a split of a data file without deletes. */
  static CloseableIterable<FeatureRow> rows(
      InputFile input, Schema projection, long start, long length) {
    return Parquet.read(input)
        .project(projection)
        .split(start, length)
        .createReaderFunc(file -> buildReader(projection, file))
        .build();
  }

  /**
   * The rows of a split of a data file that survive {@code deletes}, whose required schema {@link
   * #canRead}.
   */
  static CloseableIterable<FeatureRow> liveRows(
      InputFile input, LiveRowDeleteFilter deletes, long start, long length) {
    Schema required = deletes.requiredSchema();
    CloseableIterable<LiveRow> rows =
        Parquet.read(input)
            .project(required)
            .split(start, length)
            .createReaderFunc(file -> buildLiveRowReader(required, file))
            .build();
    return CloseableIterable.transform(deletes.filter(rows), LiveRow::row);
  }

  /**
   * A reader of {@code fileSchema} (as Iceberg passes it to a reader function) producing a row per
   * record.
   */
  static ParquetValueReader<FeatureRow> buildReader(Schema expected, MessageType fileSchema) {
    return new FeatureRowReader(new Columns(expected, fileSchema).rowReaders());
  }

  /**
   * True if {@link #buildLiveRowReader} can read {@code required}, the required schema of a delete
   * filter whose requested schema is {@link #projection}: false if an equality delete on another
   * column added that column.
   */
  static boolean canRead(Schema required) {
    return required.columns().stream().allMatch(column -> slotOf(column) >= 0);
  }

  /**
   * A reader of {@code fileSchema} producing a {@link LiveRow} per record, for a delete filter's
   * required schema.
   */
  static ParquetValueReader<LiveRow> buildLiveRowReader(Schema required, MessageType fileSchema) {
    Preconditions.checkArgument(
        canRead(required), "Cannot read columns other than a feature row's: %s", required);
    List<ParquetValueReader<?>> readers = new Columns(required, fileSchema).rowReaders();
    int[] slots = required.columns().stream().mapToInt(FeatureRowReaders::slotOf).toArray();
    if (Arrays.stream(slots).anyMatch(slot -> slot == POSITION)) {
      readers.add(ParquetValueReaders.position());
    }
    return new LiveRowReader(readers, slots);
  }

  private static int slotOf(Types.NestedField column) {
    if (column.fieldId() == MetadataColumns.ROW_POSITION.fieldId()) {
      return POSITION;
    }
    return switch (column.name()) {
      case FeatureTable.DOC_ID -> DOC_ID;
      case FeatureTable.EMBEDDING -> EMBEDDING;
      case FeatureTable.MODEL_NAME -> MODEL_NAME;
      case FeatureTable.MODEL_DIGEST -> MODEL_DIGEST;
      case FeatureTable.EVENT_TIME -> EVENT_TIME;
      case FeatureTable.PROCESSED_AT -> PROCESSED_AT;
      case FeatureTable.DELETED -> DELETED;
      default -> -1;
    };
  }

  /**
   * A reader of a top-level {@code list<float>} column of the file into a {@code float[]} per row.
   */
  // a 2-level list's element is its repeated field itself: the same object, on purpose
  @SuppressWarnings("ReferenceEquality")
  static ParquetValueReader<float[]> floatList(MessageType file, Type field) {
    Preconditions.checkArgument(!field.isPrimitive(), "Invalid column %s: not a list", field);
    GroupType list = field.asGroupType();
    Type repeated = list.getType(0);
    // 3-level lists (list/element) as Iceberg writes them, and the 2-level lists of older writers
    Type element = ParquetSchemaUtil.determineListElementType(list);
    String[] repeatedPath = {field.getName(), repeated.getName()};
    String[] elementPath =
        repeated == element
            ? repeatedPath
            : new String[] {field.getName(), repeated.getName(), element.getName()};
    Preconditions.checkArgument(
        element.isPrimitive()
            && element.asPrimitiveType().getPrimitiveTypeName() == PrimitiveTypeName.FLOAT,
        "Invalid column %s: not a list of floats",
        field);
    return new FloatListReader(
        file.getColumnDescription(elementPath),
        file.getMaxDefinitionLevel(field.getName()),
        file.getMaxDefinitionLevel(repeatedPath));
  }

  /**
   * Column readers of a row's columns, found in the file by the field ids of the expected schema.
   */
  private static final class Columns {
    private final Schema expected;
    private final MessageType file;
    private final Map<Integer, Type> fileFields = new HashMap<>();

    Columns(Schema expected, MessageType file) {
      this.expected = expected;
      this.file = file;
      for (Type field : file.getFields()) {
        // files written without ids reach reader functions with ids from the name mapping or
        // fallback ids
        if (field.getId() != null) {
          fileFields.put(field.getId().intValue(), field);
        }
      }
    }

    /** One reader per slot, in slot order. */
    List<ParquetValueReader<?>> rowReaders() {
      List<ParquetValueReader<?>> readers = new ArrayList<>(POSITION + 1);
      readers.add(strings(FeatureTable.DOC_ID));
      readers.add(floats(FeatureTable.EMBEDDING));
      readers.add(strings(FeatureTable.MODEL_NAME));
      readers.add(strings(FeatureTable.MODEL_DIGEST));
      readers.add(timestamps(FeatureTable.EVENT_TIME));
      readers.add(timestamps(FeatureTable.PROCESSED_AT));
      readers.add(deletedFlags());
      return readers;
    }

    /** The deletion flag; null (not a deletion) where the table or the file predates the column. */
    private ParquetValueReader<?> deletedFlags() {
      Types.NestedField column = expected.findField(FeatureTable.DELETED);
      Type field = column == null ? null : fileFields.get(column.fieldId());
      if (field == null) {
        return ParquetValueReaders.nulls();
      }
      ColumnDescriptor desc = primitive(field, PrimitiveTypeName.BOOLEAN);
      // typed Integer, but it returns what the column holds: a Boolean here
      return optional(field, ParquetValueReaders.unboxed(desc));
    }

    private ParquetValueReader<String> strings(String name) {
      Type field = fileField(name);
      ColumnDescriptor desc = primitive(field, PrimitiveTypeName.BINARY);
      return optional(field, ParquetValueReaders.strings(desc));
    }

    private ParquetValueReader<Long> timestamps(String name) {
      Type field = fileField(name);
      Preconditions.checkArgument(
          field.isPrimitive(), "Invalid column %s: %s is not a timestamp", name, field);
      // micros as written by Iceberg; millis and INT96 (imported files) are converted to micros
      ColumnDescriptor desc = file.getColumnDescription(new String[] {field.getName()});
      return optional(field, ParquetValueReaders.timestamps(desc));
    }

    private ParquetValueReader<float[]> floats(String name) {
      return floatList(file, fileField(name));
    }

    private Type fileField(String name) {
      Types.NestedField column = expected.findField(name);
      Preconditions.checkArgument(
          column != null, "Missing column %s in the projection %s", name, expected);
      Type field = fileFields.get(column.fieldId());
      Preconditions.checkArgument(
          field != null, "Missing column %s (id %s) in the data file", name, column.fieldId());
      return field;
    }

    private ColumnDescriptor primitive(Type field, PrimitiveTypeName type) {
      Preconditions.checkArgument(
          field.isPrimitive() && field.asPrimitiveType().getPrimitiveTypeName() == type,
          "Invalid column %s: expected %s",
          field,
          type);
      return file.getColumnDescription(new String[] {field.getName()});
    }

    /**
     * An optional column reads as null when its definition level says so (a row then fails
     * validation).
     */
    private <T> ParquetValueReader<T> optional(Type field, ParquetValueReader<T> reader) {
      return ParquetValueReaders.option(
          field, file.getMaxDefinitionLevel(field.getName()) - 1, reader);
    }
  }

  /**
   * A {@code list<float>} column read a page at a time. Iceberg's column iterator decodes a
   * repetition level, a definition level and a float per call, three calls for each of a row's 384
   * elements: most of the time to decode a row, even without boxing. This reader decodes a whole
   * page into arrays instead (levels a run at a time, plain floats in one bulk copy), then copies
   * each row's run of floats out of them.
   *
   * <p>It extends {@link ParquetValueReaders.PrimitiveReader} only to take its place among
   * Iceberg's readers (the column types they share are package-private): it reads the column's
   * pages itself and leaves the inherited column iterator unused, so it handles null lists itself
   * rather than under an option reader, which would ask that iterator for levels.
   */
  private static final class FloatListReader extends ParquetValueReaders.PrimitiveReader<float[]> {
    private final ColumnDescriptor desc;
    private final int listLevel; // a triple defined to this level has a list (below: a null list)
    private final int elementLevel; // ... has an element (below: an empty list)
    private final int floatLevel; // ... has a float (below: a null element)
    private final int repetitionLevel; // a triple repeated to this level continues the row's list
    private int lastSize = Embeddings.DIMENSION; // sizes the next array: rows share one dimension

    private PageReader pages;
    private Dictionary dictionary;
    // the decoded page: the levels of its triples, its floats, and where the next row starts in
    // them
    private int[] repetition = new int[0];
    private int[] definition = new int[0];
    private float[] floats = new float[0];
    private int triples;
    private int nextTriple;
    private int nextFloat;

    FloatListReader(ColumnDescriptor desc, int listLevel, int elementLevel) {
      super(desc);
      this.desc = desc;
      this.listLevel = listLevel;
      this.elementLevel = elementLevel;
      this.floatLevel = desc.getMaxDefinitionLevel();
      this.repetitionLevel = desc.getMaxRepetitionLevel();
    }

    @Override
    public void setPageSource(PageReadStore pageStore) {
      this.pages = pageStore.getPageReader(desc);
      DictionaryPage dictionaryPage = pages.readDictionaryPage();
      try {
        this.dictionary =
            dictionaryPage == null
                ? null
                : dictionaryPage.getEncoding().initDictionary(desc, dictionaryPage);
      } catch (IOException e) {
        throw new UncheckedIOException("Cannot read the dictionary of " + desc, e);
      }
      this.triples = 0;
      this.nextTriple = 0;
      this.nextFloat = 0;
    }

    @Override
    public float[] read(float[] ignored) {
      if (nextTriple == triples && !readPage()) {
        throw new IllegalStateException("No more values in " + desc);
      }
      int level = definition[nextTriple];
      if (level < elementLevel) {
        // a null or empty list is a single triple without a float
        nextTriple++;
        return level < listLevel ? null : EMPTY;
      }
      float[] values = new float[lastSize];
      int size = 0;
      do {
        // the row's run of triples in this page: up to the triple that starts the next row, or the
        // page's end
        int end = nextTriple + 1;
        while (end < triples && repetition[end] >= repetitionLevel) {
          end++;
        }
        for (int i = nextTriple; i < end; i++) {
          if (definition[i] < floatLevel) {
            throw new IllegalArgumentException(
                "Invalid embedding: null element at index " + (size + i - nextTriple));
          }
        }
        int count = end - nextTriple;
        if (size + count > values.length) {
          values = Arrays.copyOf(values, Math.max(size + count, 2 * values.length));
        }
        System.arraycopy(floats, nextFloat, values, size, count);
        size += count;
        nextFloat += count;
        nextTriple = end;
        // a list may go on in the next page: v1 pages need not end with a row (parquet-java's do,
        // not every writer's)
      } while (nextTriple == triples && readPage() && repetition[0] >= repetitionLevel);
      lastSize = size;
      return size == values.length ? values : Arrays.copyOf(values, size);
    }

    /** Decodes the next page of the row group; false at the end of the row group. */
    private boolean readPage() {
      DataPage page = pages.readPage();
      if (page == null) {
        return false;
      }
      int count = page.getValueCount();
      if (repetition.length < count + 8) {
        // bit-packed levels come in groups of 8: the last group may overrun the page's count
        repetition = new int[count + 8];
        definition = new int[count + 8];
        floats = new float[count];
      }
      try {
        if (page instanceof DataPageV1 v1) {
          ByteBufferInputStream in = v1.getBytes().toInputStream();
          readLevels(
              v1.getRlEncoding(),
              ValuesType.REPETITION_LEVEL,
              repetitionLevel,
              in,
              repetition,
              count);
          readLevels(
              v1.getDlEncoding(), ValuesType.DEFINITION_LEVEL, floatLevel, in, definition, count);
          readFloats(v1.getValueEncoding(), in, count);
        } else {
          DataPageV2 v2 = (DataPageV2) page;
          readHybrid(v2.getRepetitionLevels().toByteBuffer(), repetitionLevel, repetition, count);
          readHybrid(v2.getDefinitionLevels().toByteBuffer(), floatLevel, definition, count);
          readFloats(v2.getDataEncoding(), v2.getData().toInputStream(), count);
        }
      } catch (IOException e) {
        throw new UncheckedIOException("Cannot read a page of " + desc, e);
      }
      this.triples = count;
      this.nextTriple = 0;
      this.nextFloat = 0;
      return count > 0 || readPage();
    }

    private void readLevels(
        Encoding encoding,
        ValuesType type,
        int maxLevel,
        ByteBufferInputStream in,
        int[] levels,
        int count)
        throws IOException {
      if (maxLevel == 0) {
        Arrays.fill(levels, 0, count, 0); // not stored
      } else if (encoding == Encoding.RLE) {
        // v1 pages prefix the levels with their length
        int length = BytesUtils.readIntLittleEndian(in);
        readHybrid(in.slice(length), maxLevel, levels, count);
      } else {
        // the deprecated BIT_PACKED levels of old writers: parquet's own reader, a level at a time
        ValuesReader reader = encoding.getValuesReader(desc, type);
        reader.initFromPage(count, in);
        for (int i = 0; i < count; i++) {
          levels[i] = reader.readInteger();
        }
      }
    }

    /**
     * Decodes levels in Parquet's RLE / bit-packing hybrid encoding, a run or 8 bit-packed values
     * at a time, with parquet-column's {@link BytePacker} for the bit-packed groups. The framing is
     * ours rather than parquet-column's {@code RunLengthBitPackingHybridDecoder}, which allocates a
     * buffer per bit-packed run and returns one value per call: measured A/B on 2026-12-03 (two
     * runs each, {@code FeatureRowDecodeBenchmark}, 200k rows), this decoded 308-314k rows/s
     * (median) against 213-217k with parquet-column's, and the full re-warm ({@code ./featurestore
     * bench replicator}, 1M rows) ran 3-6 % faster.
     */
    private static void readHybrid(ByteBuffer in, int maxLevel, int[] levels, int count) {
      int bitWidth = BytesUtils.getWidthFromMaxInt(maxLevel);
      if (bitWidth == 0) {
        Arrays.fill(levels, 0, count, 0);
        return;
      }
      BytePacker packer = Packer.LITTLE_ENDIAN.newBytePacker(bitWidth);
      int filled = 0;
      while (filled < count) {
        int header = readUnsignedVarInt(in);
        if ((header & 1) == 0) {
          // a run of one value, stored in as few bytes as its width needs
          int run = Math.min(header >>> 1, count - filled);
          int value = 0;
          for (int shift = 0; shift < bitWidth; shift += 8) {
            value |= (in.get() & 0xFF) << shift;
          }
          Arrays.fill(levels, filled, filled + run, value);
          filled += run;
        } else {
          for (int groups = header >>> 1; groups > 0 && filled < count; groups--) {
            if (in.remaining() >= bitWidth) {
              packer.unpack8Values(in, in.position(), levels, filled);
              in.position(in.position() + bitWidth);
            } else {
              // a last group cut short by its writer: the missing bytes are zeros
              byte[] group = new byte[bitWidth];
              in.get(group, 0, in.remaining());
              packer.unpack8Values(group, 0, levels, filled);
            }
            filled += 8;
          }
        }
      }
    }

    private static int readUnsignedVarInt(ByteBuffer in) {
      int value = 0;
      for (int shift = 0; ; shift += 7) {
        byte b = in.get();
        value |= (b & 0x7F) << shift;
        if (b >= 0) {
          return value;
        }
      }
    }

    /** Reads the page's floats: one for each triple defined to the float level. */
    private void readFloats(Encoding encoding, ByteBufferInputStream in, int count)
        throws IOException {
      int present = 0;
      for (int i = 0; i < count; i++) {
        if (definition[i] == floatLevel) {
          present++;
        }
      }
      if (encoding == Encoding.PLAIN) {
        in.slice(present * Float.BYTES)
            .order(ByteOrder.LITTLE_ENDIAN)
            .asFloatBuffer()
            .get(floats, 0, present);
        return;
      }
      // dictionary pages (parquet-java writes the first pages of a column chunk so),
      // byte-stream-split, ...
      ValuesReader reader;
      if (encoding.usesDictionary()) {
        Preconditions.checkState(dictionary != null, "Missing the dictionary of %s", desc);
        reader = encoding.getDictionaryBasedValuesReader(desc, ValuesType.VALUES, dictionary);
      } else {
        reader = encoding.getValuesReader(desc, ValuesType.VALUES);
      }
      reader.initFromPage(present, in);
      for (int i = 0; i < present; i++) {
        floats[i] = reader.readFloat();
      }
    }
  }

  /** Collects a record's values by slot; subclasses make their row of them. */
  private abstract static class SlotReader<T>
      extends ParquetValueReaders.StructReader<T, Object[]> {
    private final int size;

    SlotReader(List<ParquetValueReader<?>> readers) {
      super(readers);
      this.size = readers.size();
    }

    @Override
    protected Object[] newStructData(T reuse) {
      return new Object[size];
    }

    @Override
    protected Object getField(Object[] values, int pos) {
      return null; // nothing to reuse: every row owns its values
    }

    @Override
    protected void set(Object[] values, int pos, Object value) {
      values[pos] = value;
    }
  }

  private static final class FeatureRowReader extends SlotReader<FeatureRow> {
    private final RowBuilder rows = new RowBuilder();

    FeatureRowReader(List<ParquetValueReader<?>> readers) {
      super(readers);
    }

    @Override
    protected FeatureRow buildStruct(Object[] values) {
      return rows.build(values);
    }
  }

  private static final class LiveRowReader extends SlotReader<LiveRow> {
    private final int[] slots;
    private final RowBuilder rows = new RowBuilder();

    LiveRowReader(List<ParquetValueReader<?>> readers, int[] slots) {
      super(readers);
      this.slots = slots;
    }

    @Override
    protected LiveRow buildStruct(Object[] values) {
      return new LiveRow(values, slots, rows);
    }
  }

  /**
   * Makes rows of slot values; keeps the last model id, since the rows of a file nearly all share
   * one model.
   */
  private static final class RowBuilder {
    private ModelId model;

    FeatureRow build(Object[] values) {
      String name = (String) values[MODEL_NAME];
      String digest = (String) values[MODEL_DIGEST];
      if (model == null || !model.name().equals(name) || !model.digest().equals(digest)) {
        model = ModelId.of(name, digest);
      }
      if (Boolean.TRUE.equals(values[DELETED])) {
        return FeatureRow.deletion(
            (String) values[DOC_ID],
            model,
            instant(values[EVENT_TIME]),
            instant(values[PROCESSED_AT]));
      }
      return new FeatureRow(
          (String) values[DOC_ID],
          (float[]) values[EMBEDDING],
          model,
          instant(values[EVENT_TIME]),
          instant(values[PROCESSED_AT]));
    }

    private static Instant instant(Object micros) {
      return micros == null ? null : Timestamps.fromMicros((Long) micros);
    }
  }

  /**
   * A record as a delete filter sees it: a struct of the filter's required schema, in Iceberg's
   * internal representation (timestamps as epoch micros), with its position in the data file. The
   * row is only made of the records that survive.
   */
  static final class LiveRow implements StructLike {
    private final Object[] values;
    private final int[] slots; // slot of each field of the required schema
    private final RowBuilder rows;

    private LiveRow(Object[] values, int[] slots, RowBuilder rows) {
      this.values = values;
      this.slots = slots;
      this.rows = rows;
    }

    FeatureRow row() {
      return rows.build(values);
    }

    long position() {
      return (Long) values[POSITION];
    }

    @Override
    public int size() {
      return slots.length;
    }

    @Override
    public <T> T get(int pos, Class<T> javaClass) {
      Object value = values[slots[pos]];
      if (value instanceof float[] floats) {
        // only an equality delete on the embedding itself compares it; boxed as Iceberg's list
        // values are
        List<Float> list = new ArrayList<>(floats.length);
        for (float element : floats) {
          list.add(element);
        }
        value = list;
      }
      return javaClass.cast(value);
    }

    @Override
    public <T> void set(int pos, T value) {
      throw new UnsupportedOperationException("A live row is read-only");
    }
  }

  /**
   * The deletes of a scan task applied to {@link LiveRow}s, as {@code GenericDeleteFilter} applies
   * them to records.
   */
  static final class LiveRowDeleteFilter extends DeleteFilter<LiveRow> {
    private final FileIO io;

    LiveRowDeleteFilter(FileIO io, FileScanTask task, Schema tableSchema, Schema requestedSchema) {
      super(task.file().location(), task.deletes(), tableSchema, requestedSchema);
      this.io = io;
    }

    @Override
    protected StructLike asStructLike(LiveRow row) {
      return row;
    }

    @Override
    protected long pos(LiveRow row) {
      return row.position();
    }

    @Override
    protected InputFile getInputFile(String location) {
      return io.newInputFile(location);
    }
  }
}
