package dev.featurestore.iceberg;

import static org.apache.iceberg.types.Types.NestedField.optional;
import static org.apache.iceberg.types.Types.NestedField.required;

import dev.featurestore.api.FeatureRow;
import dev.featurestore.api.KafkaSource;
import dev.featurestore.api.ModelId;
import dev.featurestore.api.Preconditions;
import dev.featurestore.api.Timestamps;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.iceberg.FileFormat;
import org.apache.iceberg.PartitionSpec;
import org.apache.iceberg.Schema;
import org.apache.iceberg.Table;
import org.apache.iceberg.TableProperties;
import org.apache.iceberg.catalog.Catalog;
import org.apache.iceberg.catalog.Namespace;
import org.apache.iceberg.catalog.SupportsNamespaces;
import org.apache.iceberg.catalog.TableIdentifier;
import org.apache.iceberg.data.GenericFileWriterFactory;
import org.apache.iceberg.data.GenericRecord;
import org.apache.iceberg.data.Record;
import org.apache.iceberg.exceptions.AlreadyExistsException;
import org.apache.iceberg.exceptions.NoSuchTableException;
import org.apache.iceberg.types.Types;

/**
 * The offline store's table of document embeddings: its schema, partitioning and properties, and
 * the mapping between {@link FeatureRow} and Iceberg records. Every service and every training job
 * reads this one contract.
 *
 * <p>The embedding is a {@code list<float>}: Spark and other engines read it natively as an array
 * column, which is what training jobs need; a binary column would be ~2x faster to read here but
 * opaque to every other engine (see docs/DESIGN.md). The table is created unpartitioned and then
 * given its day partition field, so that spec 0 stays an unpartitioned spec under which a single
 * equality delete can erase a doc id across every day.
 */
public final class FeatureTable {

  public static final String DOC_ID = "doc_id";
  public static final String EMBEDDING = "embedding";
  public static final String MODEL_NAME = "model_name";
  public static final String MODEL_DIGEST = "model_digest";
  public static final String EVENT_TIME = "event_time";
  public static final String PROCESSED_AT = "processed_at";
  public static final String KAFKA_TOPIC = "kafka_topic";
  public static final String KAFKA_PARTITION = "kafka_partition";
  public static final String KAFKA_OFFSET = "kafka_offset";
  public static final String DELETED = "deleted";

  /**
   * Field ids are the ones Iceberg assigns on creation (top-level fields first), so this equals
   * table.schema().
   */
  public static final Schema SCHEMA =
      new Schema(
          List.of(
              required(1, DOC_ID, Types.StringType.get(), "Document id (Kafka record key)"),
              required(
                  2,
                  EMBEDDING,
                  Types.ListType.ofRequired(10, Types.FloatType.get()),
                  "L2-normalised embedding (empty for a deletion)"),
              required(3, MODEL_NAME, Types.StringType.get(), "Model that computed the embedding"),
              required(4, MODEL_DIGEST, Types.StringType.get(), "Digest of the model weights"),
              required(5, EVENT_TIME, Types.TimestampType.withZone(), "Kafka record timestamp"),
              required(
                  6,
                  PROCESSED_AT,
                  Types.TimestampType.withZone(),
                  "When the writer processed the document: the version's time in training sets"),
              optional(
                  7,
                  KAFKA_TOPIC,
                  Types.StringType.get(),
                  "Topic of the Kafka record the row came from"),
              optional(8, KAFKA_PARTITION, Types.IntegerType.get(), "Partition of that record"),
              optional(9, KAFKA_OFFSET, Types.LongType.get(), "Offset of that record"),
              optional(
                  11,
                  DELETED,
                  Types.BooleanType.get(),
                  "True for a deletion (tombstone): the doc id is absent from processed_at on."
                      + " Null in rows written before deletions were kept as history")),
          Set.of(1));

  /**
   * The schema tables are created with: the first version's columns, so that every table, created
   * now or long ago, gets the later columns by evolution and with the same field ids as {@link
   * #SCHEMA} (a column added after the list keeps an id after the list's element).
   */
  private static final Schema CREATION_SCHEMA =
      new Schema(
          SCHEMA.columns().stream()
              .filter(column -> column.fieldId() < 10)
              .collect(java.util.stream.Collectors.toList()),
          Set.of(1));

  /**
   * The schema of an equality delete by doc id: a tombstone erases every row of the id, in every
   * partition.
   */
  public static final Schema DOC_ID_DELETE_SCHEMA = SCHEMA.select(DOC_ID);

  public static final PartitionSpec SPEC =
      PartitionSpec.builderFor(SCHEMA).day(PROCESSED_AT).build();

  public static final Map<String, String> PROPERTIES =
      Map.ofEntries(
          Map.entry(TableProperties.FORMAT_VERSION, "2"),
          Map.entry(TableProperties.PARQUET_COMPRESSION, "zstd"),
          Map.entry(TableProperties.PARQUET_BLOOM_FILTER_COLUMN_ENABLED_PREFIX + DOC_ID, "true"),
          // our writers size each file's filter for its own rows (dataWriters); other engines
          // (Spark's compaction)
          // pick the smallest of Parquet's candidate sizes that fits, up to 1 MiB (1% false
          // positives at ~870k ids)
          Map.entry(TableProperties.PARQUET_BLOOM_FILTER_ADAPTIVE_ENABLED, "true"),
          Map.entry(TableProperties.PARQUET_BLOOM_FILTER_MAX_BYTES, Integer.toString(1024 * 1024)),
          // Several writers, the replicator's maintenance and the catalog: optimistic retries are
          // expected.
          Map.entry(TableProperties.COMMIT_NUM_RETRIES, "50"),
          // commits are small and frequent: Iceberg's back-off (100 ms doubling to 60 s) left a
          // commit that lost a
          // few races to compaction waiting tens of seconds, far past the freshness target
          Map.entry(TableProperties.COMMIT_MIN_RETRY_WAIT_MS, "20"),
          Map.entry(TableProperties.COMMIT_MAX_RETRY_WAIT_MS, "1000"),
          Map.entry(TableProperties.METADATA_DELETE_AFTER_COMMIT_ENABLED, "true"),
          // each kept version is a whole copy of the metadata (every snapshot, up to ~0.5 MB): the
          // snapshots are
          // what one looks back at; 100 made old metadata most of the table's bytes, 10 still a
          // fifth of a small one
          Map.entry(TableProperties.METADATA_PREVIOUS_VERSIONS_MAX, "3"));

  /**
   * The names of {@code columns} and, if {@code schema} has it (tables written before deletions
   * were kept as history do not), {@link #DELETED}: what a reader of versions projects.
   */
  public static List<String> versionColumns(Schema schema, String... columns) {
    List<String> names = new ArrayList<>(List.of(columns));
    if (schema.findField(DELETED) != null) {
      names.add(DELETED);
    }
    return names;
  }

  /** False positives of the doc id bloom filter that {@link #dataWriters} sizes. */
  static final double BLOOM_FILTER_FPP = 0.01;

  private FeatureTable() {}

  /**
   * Parquet data writers for a file of about {@code expectedRows} rows: its doc id bloom filter is
   * sized for that many ids at {@link #BLOOM_FILTER_FPP} (a fixed-size filter was most of a
   * micro-batch's file, and too small for a compacted one).
   */
  public static GenericFileWriterFactory dataWriters(Table table, long expectedRows) {
    Preconditions.checkArgument(expectedRows > 0, "Invalid expected rows: %s", expectedRows);
    return new GenericFileWriterFactory.Builder(table)
        .dataFileFormat(FileFormat.PARQUET)
        .writerProperties(
            Map.of(
                TableProperties.PARQUET_BLOOM_FILTER_ADAPTIVE_ENABLED,
                "false",
                TableProperties.PARQUET_BLOOM_FILTER_COLUMN_NDV_PREFIX + DOC_ID,
                Long.toString(expectedRows),
                TableProperties.PARQUET_BLOOM_FILTER_COLUMN_FPP_PREFIX + DOC_ID,
                Double.toString(BLOOM_FILTER_FPP)))
        .build();
  }

  public static TableIdentifier identifier(String qualifiedName) {
    Preconditions.checkArgument(
        qualifiedName != null
            && qualifiedName.matches("[A-Za-z_][A-Za-z0-9_]*(\\.[A-Za-z_][A-Za-z0-9_]*)+"),
        "Invalid table name: %s (expected namespace.table)",
        qualifiedName);
    return TableIdentifier.parse(qualifiedName);
  }

  /** Loads the table, creating it (and its namespace) if it does not exist yet; safe to race. */
  public static Table createOrLoad(Catalog catalog, TableIdentifier identifier) {
    try {
      return evolve(catalog.loadTable(identifier));
    } catch (NoSuchTableException e) {
      // created below
    }
    if (catalog instanceof SupportsNamespaces namespaces && !identifier.namespace().isEmpty()) {
      createNamespace(namespaces, identifier.namespace());
    }
    try {
      Table table =
          catalog
              .buildTable(identifier, CREATION_SCHEMA)
              .withPartitionSpec(PartitionSpec.unpartitioned())
              .withProperties(PROPERTIES)
              .create();
      table
          .updateSpec()
          .addField(org.apache.iceberg.expressions.Expressions.day(PROCESSED_AT))
          .commit();
      return evolve(catalog.loadTable(identifier));
    } catch (AlreadyExistsException e) {
      return evolve(catalog.loadTable(identifier));
    }
  }

  /**
   * A table created by an older version gains the columns added since (all optional, matched by
   * name) and the current table properties.
   */
  private static Table evolve(Table table) {
    boolean missing =
        SCHEMA.columns().stream()
            .anyMatch(column -> table.schema().findField(column.name()) == null);
    if (missing) {
      table.updateSchema().unionByNameWith(SCHEMA).commit();
    }
    Map<String, String> stale = new java.util.HashMap<>();
    PROPERTIES.forEach(
        (key, value) -> {
          if (!TableProperties.FORMAT_VERSION.equals(key)
              && !value.equals(table.properties().get(key))) {
            stale.put(key, value);
          }
        });
    if (!stale.isEmpty()) {
      org.apache.iceberg.UpdateProperties update = table.updateProperties();
      stale.forEach(update::set);
      update.commit();
    }
    return table;
  }

  private static void createNamespace(SupportsNamespaces namespaces, Namespace namespace) {
    if (!namespaces.namespaceExists(namespace)) {
      try {
        namespaces.createNamespace(namespace);
      } catch (AlreadyExistsException e) {
        // another process won the race
      }
    }
  }

  /**
   * The record of a row and the Kafka record it came from (its lineage, for exactly-once audits).
   */
  public static Record toRecord(FeatureRow row, KafkaSource source) {
    return toRecord(SCHEMA, row, source);
  }

  /**
   * The record in {@code schema} (the table's own, which may have other field ids than {@link
   * #SCHEMA}).
   */
  public static Record toRecord(Schema schema, FeatureRow row, KafkaSource source) {
    Record record = toRecord(schema, row);
    record.setField(KAFKA_TOPIC, source.topic());
    record.setField(KAFKA_PARTITION, source.partition());
    record.setField(KAFKA_OFFSET, source.offset());
    return record;
  }

  public static Record toRecord(FeatureRow row) {
    return toRecord(SCHEMA, row);
  }

  private static Record toRecord(Schema schema, FeatureRow row) {
    GenericRecord record = GenericRecord.create(schema);
    List<Float> embedding = new ArrayList<>(row.embedding().length);
    for (float value : row.embedding()) {
      embedding.add(value);
    }
    record.setField(DOC_ID, row.docId());
    record.setField(EMBEDDING, embedding);
    record.setField(MODEL_NAME, row.model().name());
    record.setField(MODEL_DIGEST, row.model().digest());
    record.setField(EVENT_TIME, Timestamps.toOffsetDateTime(row.eventTime()));
    record.setField(PROCESSED_AT, Timestamps.toOffsetDateTime(row.processedAt()));
    if (schema.findField(DELETED) != null) {
      record.setField(DELETED, row.deleted());
    } else {
      Preconditions.checkArgument(
          !row.deleted(), "Cannot write the deletion of %s: no %s column", row.docId(), DELETED);
    }
    return record;
  }

  public static FeatureRow fromRecord(Record record) {
    @SuppressWarnings("unchecked")
    List<Float> values = (List<Float>) record.getField(EMBEDDING);
    float[] embedding = new float[values.size()];
    for (int i = 0; i < embedding.length; i++) {
      embedding[i] = values.get(i);
    }
    return new FeatureRow(
        (String) record.getField(DOC_ID),
        embedding,
        ModelId.of((String) record.getField(MODEL_NAME), (String) record.getField(MODEL_DIGEST)),
        instant(record.getField(EVENT_TIME)),
        instant(record.getField(PROCESSED_AT)),
        isDeletion(record));
  }

  /** True for a deletion row; rows of tables and files older than the column are not. */
  private static boolean isDeletion(Record record) {
    return record.struct().field(DELETED) != null && Boolean.TRUE.equals(record.getField(DELETED));
  }

  private static Instant instant(Object value) {
    return ((OffsetDateTime) value).toInstant();
  }
}
