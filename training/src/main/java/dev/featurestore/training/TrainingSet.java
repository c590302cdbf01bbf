package dev.featurestore.training;

import dev.featurestore.api.Preconditions;
import dev.featurestore.api.Timestamps;
import dev.featurestore.iceberg.FeatureTable;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.LongConsumer;
import org.apache.iceberg.Schema;
import org.apache.iceberg.SnapshotRef;
import org.apache.iceberg.Table;
import org.apache.iceberg.data.GenericRecord;
import org.apache.iceberg.data.Record;
import org.apache.iceberg.data.parquet.GenericParquetWriter;
import org.apache.iceberg.io.FileAppender;
import org.apache.iceberg.parquet.Parquet;
import org.apache.iceberg.types.Type;
import org.apache.iceberg.types.TypeUtil;
import org.apache.iceberg.types.Types;

/**
 * A point-in-time training set: for every row of an entity file, the embedding that the online
 * store answered for its doc id at its time (see docs/TRAINING.md): the newest version processed at
 * or before that time, absent if the newest is a deletion or there is none. The output is Parquet:
 * the entity's columns, then {@code found}, {@code embedding}, {@code model_name}, {@code
 * model_digest} and {@code feature_time} (the version's processing time).
 *
 * <p>Memory does not grow with the entity file: entities stream through, and the table's history is
 * read once (its embeddings into a scratch file). Nothing is left at the output path unless the
 * whole file was written.
 *
 * <pre>{@code
 * TrainingSet.Summary summary =
 *     TrainingSet.of(table).dataset("2026-q4").write(Path.of("labels.csv"), Path.of("train.parquet"));
 * }</pre>
 */
public final class TrainingSet {

  public static final String FOUND = "found";
  public static final String FEATURE_TIME = "feature_time";

  /** Output columns that an entity file may not use for its own. */
  static final Set<String> RESERVED =
      Set.of(
          FOUND,
          FeatureTable.EMBEDDING,
          FeatureTable.MODEL_NAME,
          FeatureTable.MODEL_DIGEST,
          FEATURE_TIME);

  /** What a run wrote. */
  public record Summary(long rows, long found, long tableVersions, Long snapshotId, long millis) {}

  private final Table table;
  private final String dataset;
  private final Path scratchDir;
  private final LongConsumer progress;

  private TrainingSet(Table table, String dataset, Path scratchDir, LongConsumer progress) {
    this.table = table;
    this.dataset = dataset;
    this.scratchDir = scratchDir;
    this.progress = progress;
  }

  /** A training set of the table as it is now. */
  public static TrainingSet of(Table table) {
    Preconditions.checkArgument(table != null, "Invalid table: null");
    return new TrainingSet(table, null, null, rows -> {});
  }

  /** The same, of the table as the dataset (an Iceberg tag) {@code name} pinned it. */
  public TrainingSet dataset(String name) {
    Preconditions.checkArgument(name != null && !name.isBlank(), "Invalid dataset name: %s", name);
    return new TrainingSet(table, name, scratchDir, progress);
  }

  /** Where the scratch file of embeddings goes (default: the output's directory). */
  public TrainingSet scratchDir(Path dir) {
    return new TrainingSet(table, dataset, dir, progress);
  }

  /** Called with the number of entity rows written so far, every 10,000 rows. */
  public TrainingSet progress(LongConsumer rowsWritten) {
    Preconditions.checkArgument(rowsWritten != null, "Invalid progress listener: null");
    return new TrainingSet(table, dataset, scratchDir, rowsWritten);
  }

  /** The snapshot this training set reads: the dataset's, or the current one (null: empty). */
  public Long snapshotId() {
    table.refresh();
    if (dataset == null) {
      return table.currentSnapshot() == null ? null : table.currentSnapshot().snapshotId();
    }
    SnapshotRef ref = table.refs().get(dataset);
    if (ref == null || !ref.isTag()) {
      Set<String> tags = new TreeSet<>();
      table
          .refs()
          .forEach(
              (name, r) -> {
                if (r.isTag()) {
                  tags.add(name);
                }
              });
      throw new IllegalArgumentException(
          "Unknown dataset: "
              + dataset
              + (tags.isEmpty()
                  ? " (there are none)"
                  : " (known: " + String.join(", ", tags) + ")"));
    }
    return ref.snapshotId();
  }

  /**
   * Writes the training set of the entities in {@code entities} (CSV or Parquet) to {@code out}
   * (Parquet), replacing it. On any failure nothing is left at {@code out} and the exception says
   * why; an {@link EntityFileException} names the line and column of a bad entity file.
   */
  public Summary write(Path entities, Path out) {
    long started = System.nanoTime();
    Long snapshotId = snapshotId();
    Path dir = out.toAbsolutePath().getParent();
    Path partial = dir.resolve("." + out.getFileName() + ".partial-" + UUID.randomUUID());
    try (EntityReader rows = EntityReader.open(entities)) {
      checkColumns(entities, rows.passThroughFields());
      try (FeatureHistory history =
          FeatureHistory.read(table, snapshotId, scratchDir == null ? dir : scratchDir)) {
        long[] counts = writeParquet(rows, history, partial);
        Files.move(
            partial, out, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        return new Summary(
            counts[0],
            counts[1],
            history.versions(),
            snapshotId,
            (System.nanoTime() - started) / 1_000_000);
      }
    } catch (IOException e) {
      throw new UncheckedIOException("Cannot write the training set of " + entities, e);
    } finally {
      try {
        Files.deleteIfExists(partial);
      } catch (IOException e) {
        // best effort: the partial file has a hidden name and never the output's
      }
    }
  }

  private static void checkColumns(Path entities, List<Types.NestedField> passThrough) {
    for (Types.NestedField column : passThrough) {
      if (RESERVED.contains(column.name())) {
        throw new EntityFileException(
            entities.getFileName().toString(),
            1,
            "column '" + column.name() + "' is one the training set adds: rename it");
      }
    }
  }

  /** The output schema for an entity file with these other columns (fresh field ids). */
  static Schema outputSchema(List<Types.NestedField> passThrough) {
    List<Types.NestedField> fields = new ArrayList<>();
    fields.add(Types.NestedField.required(1, CsvEntities.DOC_ID, Types.StringType.get()));
    fields.add(
        Types.NestedField.required(2, CsvEntities.TIMESTAMP, Types.TimestampType.withZone()));
    fields.addAll(passThrough);
    fields.add(
        Types.NestedField.required(
            3, FOUND, Types.BooleanType.get(), "Whether the doc id had an embedding then"));
    fields.add(
        Types.NestedField.optional(
            4,
            FeatureTable.EMBEDDING,
            Types.ListType.ofRequired(5, Types.FloatType.get()),
            "The embedding served at the entity's time; null when not found"));
    fields.add(Types.NestedField.optional(6, FeatureTable.MODEL_NAME, Types.StringType.get()));
    fields.add(Types.NestedField.optional(7, FeatureTable.MODEL_DIGEST, Types.StringType.get()));
    fields.add(
        Types.NestedField.optional(
            8,
            FEATURE_TIME,
            Types.TimestampType.withZone(),
            "When the version was processed (the version's time)"));
    // the entity file's own field ids may clash with ours: renumber every field
    AtomicInteger ids = new AtomicInteger();
    List<Types.NestedField> renumbered = new ArrayList<>(fields.size());
    for (Types.NestedField field : fields) {
      int id = ids.incrementAndGet();
      Type type =
          field.type().isPrimitiveType()
              ? field.type()
              : TypeUtil.assignFreshIds(field.type(), ids::incrementAndGet);
      renumbered.add(Types.NestedField.of(id, field.isOptional(), field.name(), type, field.doc()));
    }
    return new Schema(renumbered);
  }

  private long[] writeParquet(EntityReader rows, FeatureHistory history, Path partial)
      throws IOException {
    List<String> passThrough =
        rows.passThroughFields().stream().map(Types.NestedField::name).toList();
    Schema schema = outputSchema(rows.passThroughFields());
    long written = 0;
    long found = 0;
    GenericRecord template = GenericRecord.create(schema);
    try (FileAppender<Record> appender =
        Parquet.write(org.apache.iceberg.Files.localOutput(partial.toFile()))
            .schema(schema)
            .createWriterFunc(GenericParquetWriter::create)
            .set("write.parquet.compression-codec", "zstd")
            .build()) {
      while (rows.hasNext()) {
        Entity entity = rows.next();
        Record record = template.copy();
        record.setField(CsvEntities.DOC_ID, entity.docId());
        record.setField(CsvEntities.TIMESTAMP, Timestamps.toOffsetDateTime(entity.asOf()));
        for (int i = 0; i < passThrough.size(); i++) {
          record.setField(passThrough.get(i), entity.passThrough().get(i));
        }
        FeatureHistory.Version version = history.asOf(entity.docId(), entity.asOf());
        boolean hit = version != null && !version.deleted();
        record.setField(FOUND, hit);
        if (hit) {
          float[] embedding = history.embedding(version);
          List<Float> values = new ArrayList<>(embedding.length);
          for (float value : embedding) {
            values.add(value);
          }
          record.setField(FeatureTable.EMBEDDING, values);
          record.setField(FeatureTable.MODEL_NAME, version.model().name());
          record.setField(FeatureTable.MODEL_DIGEST, version.model().digest());
          record.setField(FEATURE_TIME, Timestamps.toOffsetDateTime(version.processedAt()));
          found++;
        }
        appender.add(record);
        written++;
        if (written % 10_000 == 0) {
          progress.accept(written);
        }
      }
    }
    progress.accept(written);
    return new long[] {written, found};
  }
}
