package dev.featurestore.training;

import static org.assertj.core.api.Assertions.assertThat;

import dev.featurestore.api.FeatureRow;
import dev.featurestore.iceberg.CatalogSettings;
import dev.featurestore.iceberg.FeatureTable;
import dev.featurestore.iceberg.testing.FeatureTables;
import dev.featurestore.testing.FeatureRows;
import dev.featurestore.training.testing.ParquetFiles;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.apache.iceberg.Schema;
import org.apache.iceberg.Table;
import org.apache.iceberg.catalog.Catalog;
import org.apache.iceberg.data.Record;
import org.apache.iceberg.parquet.Parquet;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Point-in-time answers on a real table: one id written, rewritten, deleted and re-created, one
 * erased, one never written, with entity rows before, on and between those moments.
 */
class TrainingSetTest {

  private static final Instant T1 = Instant.parse("2026-12-01T10:00:00Z");
  private static final Instant T2 = T1.plusSeconds(60);
  private static final Instant T3 = T1.plusSeconds(120);
  private static final Instant T4 = T1.plusSeconds(180);

  @TempDir Path dir;
  private Catalog catalog;
  private Table table;

  @BeforeEach
  void createTable() {
    CatalogSettings settings = CatalogSettings.defaults();
    catalog = settings.load(dir.resolve("state"));
    table = settings.featureTable(catalog);
    FeatureTables.append(table, List.of(FeatureRows.row("a", 1, T1), FeatureRows.row("b", 11, T1)));
    FeatureTables.append(table, List.of(FeatureRows.row("a", 2, T2)));
    FeatureTables.append(table, List.of(FeatureRow.deletion("a", FeatureRows.TEST_MODEL, T3, T3)));
    FeatureTables.append(table, List.of(FeatureRows.row("a", 4, T4)));
  }

  @AfterEach
  void closeCatalog() throws Exception {
    if (catalog instanceof AutoCloseable closeable) {
      closeable.close();
    }
  }

  @Test
  void answersWhatTheOnlineStoreHeldAtEachTime() throws IOException {
    Path entities =
        csv(
            "doc_id,timestamp,label",
            "a,2026-12-01T09:59:59.999999Z,before",
            "a,2026-12-01T10:00:00Z,at the first write",
            "a,2026-12-01T11:00:30+01:00,\"between, with an offset\"",
            "a,2026-12-01T10:01:00Z,at the rewrite",
            "a,2026-12-01 10:02:00Z,at the deletion",
            "a,2026-12-01T10:02:59Z,deleted",
            "a,2026-12-01T10:03:00.000001z,re-created",
            "b,2030-01-01T00:00:00Z,",
            "never,2030-01-01T00:00:00Z,never written");
    Path out = dir.resolve("train.parquet");

    TrainingSet.Summary summary = TrainingSet.of(table).write(entities, out);

    assertThat(summary.rows()).isEqualTo(9);
    assertThat(summary.found()).isEqualTo(5);
    assertThat(summary.tableVersions()).isEqualTo(5);
    List<Record> rows = read(out);
    assertThat(rows)
        .extracting(r -> r.getField("label"))
        .containsExactly(
            "before",
            "at the first write",
            "between, with an offset",
            "at the rewrite",
            "at the deletion",
            "deleted",
            "re-created",
            null,
            "never written");
    assertThat(rows)
        .extracting(r -> r.getField(TrainingSet.FOUND))
        .containsExactly(false, true, true, true, false, false, true, true, false);
    assertEmbedding(rows.get(1), FeatureRows.row("a", 1, T1), T1);
    assertEmbedding(rows.get(2), FeatureRows.row("a", 1, T1), T1);
    assertEmbedding(rows.get(3), FeatureRows.row("a", 2, T2), T2);
    assertEmbedding(rows.get(6), FeatureRows.row("a", 4, T4), T4);
    assertEmbedding(rows.get(7), FeatureRows.row("b", 11, T1), T1);
    for (int absent : new int[] {0, 4, 5, 8}) {
      assertThat(rows.get(absent).getField(FeatureTable.EMBEDDING)).isNull();
      assertThat(rows.get(absent).getField(TrainingSet.FEATURE_TIME)).isNull();
    }
    assertThat(Files.list(dir).map(p -> p.getFileName().toString()))
        .as("no scratch or partial file is left")
        .containsExactlyInAnyOrder("state", "entities.csv", "train.parquet");
  }

  @Test
  void aParquetEntityFileGivesTheSameAnswersAndKeepsItsColumnTypes() throws IOException {
    Schema schema =
        new Schema(
            org.apache.iceberg.types.Types.NestedField.required(
                1, "doc_id", org.apache.iceberg.types.Types.StringType.get()),
            org.apache.iceberg.types.Types.NestedField.optional(
                2, "weight", org.apache.iceberg.types.Types.DoubleType.get()),
            org.apache.iceberg.types.Types.NestedField.required(
                3, "timestamp", org.apache.iceberg.types.Types.TimestampType.withoutZone()));
    Path entities = dir.resolve("entities.parquet");
    try (org.apache.iceberg.io.FileAppender<Record> out =
        Parquet.write(org.apache.iceberg.Files.localOutput(entities.toFile()))
            .schema(schema)
            .createWriterFunc(org.apache.iceberg.data.parquet.GenericParquetWriter::create)
            .build()) {
      org.apache.iceberg.data.GenericRecord row =
          org.apache.iceberg.data.GenericRecord.create(schema);
      out.add(
          row.copy(
              "doc_id",
              "a",
              "weight",
              0.5,
              "timestamp",
              java.time.LocalDateTime.parse("2026-12-01T10:01:30")));
      out.add(
          row.copy(
              "doc_id",
              "a",
              "weight",
              null,
              "timestamp",
              java.time.LocalDateTime.parse("2026-12-01T10:02:30")));
      out.add(
          row.copy(
              "doc_id",
              "b",
              "weight",
              2.0,
              "timestamp",
              java.time.LocalDateTime.parse("2026-12-01T09:00:00")));
    }

    List<Record> rows = read(write(TrainingSet.of(table), entities, "from-parquet.parquet"));

    assertThat(rows).extracting(r -> r.getField("weight")).containsExactly(0.5, null, 2.0);
    assertThat(rows)
        .extracting(r -> r.getField(TrainingSet.FOUND))
        .containsExactly(true, false, false);
    assertEmbedding(rows.get(0), FeatureRows.row("a", 2, T2), T2);
    Files.delete(entities);
  }

  @Test
  void anErasureRemovesTheHistoryAndADatasetKeepsItsAnswersAfterLaterWrites() throws IOException {
    table
        .manageSnapshots()
        .createTag("before-erasure", table.currentSnapshot().snapshotId())
        .commit();
    FeatureTables.eraseAndAppend(
        table, List.of("b"), List.of(FeatureRows.row("a", 5, T4.plusSeconds(60))));
    Path entities = csv("doc_id,timestamp", "b,2026-12-01T10:00:00Z", "a,2030-01-01T00:00:00Z");

    List<Record> now = read(write(TrainingSet.of(table), entities, "now.parquet"));
    List<Record> pinned =
        read(write(TrainingSet.of(table).dataset("before-erasure"), entities, "pinned.parquet"));

    assertThat(now).extracting(r -> r.getField(TrainingSet.FOUND)).containsExactly(false, true);
    assertEmbedding(now.get(1), FeatureRows.row("a", 5, T4), T4.plusSeconds(60));
    assertThat(pinned).extracting(r -> r.getField(TrainingSet.FOUND)).containsExactly(true, true);
    assertEmbedding(pinned.get(0), FeatureRows.row("b", 11, T1), T1);
    assertEmbedding(pinned.get(1), FeatureRows.row("a", 4, T4), T4);

    // later writes and deletions, then every snapshot but the current one and the tag's expires
    FeatureTables.append(
        table,
        List.of(
            FeatureRow.deletion(
                "a", FeatureRows.TEST_MODEL, T4.plusSeconds(90), T4.plusSeconds(90))));
    table
        .expireSnapshots()
        .expireOlderThan(System.currentTimeMillis() + 1000)
        .retainLast(1)
        .commit();
    assertThat(
            read(write(TrainingSet.of(table).dataset("before-erasure"), entities, "again.parquet")))
        .as("the same rows, bit for bit")
        .isEqualTo(pinned);
  }

  @Test
  void datasetsAreCreatedListedUsedAndDroppedFromTheCommandLine() throws IOException {
    long pinned = table.currentSnapshot().snapshotId();
    assertThat(command("dataset", "create", "q4", "--retain", "90d"))
        .startsWith("dataset q4 pins snapshot " + pinned)
        .contains("kept PT2160H");
    assertThat(command("dataset", "create", "q4"))
        .isEqualTo("exit 1: dataset: Dataset q4 exists already: drop it first");
    assertThat(command("dataset", "create", "old", "--as-of", "2000-01-01T00:00:00Z"))
        .startsWith("exit 1: dataset: No snapshot as of 2000-01-01T00:00:00Z is kept");
    FeatureTables.append(table, List.of(FeatureRows.row("a", 9, T4.plusSeconds(60))));
    Path entities = csv("doc_id,timestamp", "a,2030-01-01T00:00:00Z");

    assertThat(command("dataset", "list")).startsWith("q4\tsnapshot " + pinned);
    assertThat(
            command(
                "training-set",
                "--entities",
                entities.toString(),
                "--out",
                dir.resolve("q4.parquet").toString(),
                "--dataset",
                "q4"))
        .startsWith("wrote 1 rows (1 found, 0 not)");
    assertEmbedding(read(dir.resolve("q4.parquet")).get(0), FeatureRows.row("a", 4, T4), T4);
    assertThat(command("dataset", "drop", "q4")).isEqualTo("dataset q4 dropped");
    assertThat(command("dataset", "list")).isEmpty();
    assertThat(command("dataset", "drop", "q4")).isEqualTo("exit 1: dataset: Unknown dataset: q4");
    assertThat(command("dataset", "frobnicate"))
        .startsWith("exit 2: dataset: create, list or drop?");
  }

  /** Runs a command on the test's table: its stdout, or its exit code and stderr. */
  private String command(String... args) {
    List<String> all = new ArrayList<>(List.of(args));
    all.addAll(List.of("--state-dir", dir.resolve("state").toString()));
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    int code =
        Commands.run(
            all.toArray(String[]::new),
            new PrintStream(out, true, StandardCharsets.UTF_8),
            new PrintStream(err, true, StandardCharsets.UTF_8));
    return code == 0
        ? out.toString(StandardCharsets.UTF_8).strip()
        : "exit " + code + ": " + err.toString(StandardCharsets.UTF_8).strip();
  }

  @Test
  void badInputIsOneLineNamingWhereAndLeavesNoOutput() throws IOException {
    assertFails(csv("doc_id,label", "a,x"), "entities.csv:1: missing column timestamp");
    assertFails(
        csv("doc_id,timestamp", "a,2026-12-01T10:00:00Z", "a,yesterday"),
        "entities.csv:3: column 2 (timestamp): unparseable timestamp 'yesterday'");
    assertFails(
        csv("doc_id,timestamp", "a,2026-12-01T10:00:00"),
        "entities.csv:2: column 2 (timestamp): unparseable timestamp");
    assertFails(
        csv("timestamp,doc_id", "2026-12-01T10:00:00Z,\"bad\u0007id\""),
        "entities.csv:2: column 2 (doc_id): invalid doc id: doc id contains control character U+0007");
    assertFails(
        csv("doc_id,timestamp", "a,2026-12-01T10:00:00Z,extra"),
        "entities.csv:2: expected 2 fields");
    assertFails(
        csv("doc_id,timestamp,found", "a,2026-12-01T10:00:00Z,x"),
        "column 'found' is one the training set adds");
    Path empty = dir.resolve("entities.csv");
    Files.write(empty, new byte[0]);
    assertFails(empty, "entities.csv: empty file");
    assertFails(
        csv("doc_id,timestamp", "a,2026-12-01T10:00:00Z"),
        "Unknown dataset: nope (there are none)",
        "--dataset",
        "nope");
  }

  private void assertFails(Path entities, String message, String... extra) throws IOException {
    Path out = dir.resolve("out.parquet");
    Files.writeString(out, "an older training set");
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    List<String> args =
        new ArrayList<>(
            List.of(
                "training-set",
                "--entities",
                entities.toString(),
                "--out",
                out.toString(),
                "--state-dir",
                dir.resolve("state").toString()));
    args.addAll(List.of(extra));
    int code =
        Commands.run(
            args.toArray(String[]::new),
            new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8),
            new PrintStream(err, true, StandardCharsets.UTF_8));
    String printed = err.toString(StandardCharsets.UTF_8);
    assertThat(code).as(printed).isEqualTo(1);
    assertThat(printed).contains(message);
    assertThat(printed.strip().lines()).as("one line").hasSize(1);
    assertThat(Files.readString(out))
        .as("the old output is untouched")
        .isEqualTo("an older training set");
    try (Stream<Path> files = Files.list(dir)) {
      assertThat(files.map(p -> p.getFileName().toString()))
          .as("no partial or scratch file")
          .containsExactlyInAnyOrder("state", "entities.csv", "out.parquet");
    }
    Files.delete(out);
  }

  private Path write(TrainingSet trainingSet, Path entities, String name) {
    Path out = dir.resolve(name);
    trainingSet.write(entities, out);
    return out;
  }

  private Path csv(String... lines) throws IOException {
    Path file = dir.resolve("entities.csv");
    Files.writeString(file, String.join("\n", lines) + "\n");
    return file;
  }

  private static void assertEmbedding(Record row, FeatureRow expected, Instant version) {
    assertThat(row.getField(TrainingSet.FOUND)).isEqualTo(true);
    @SuppressWarnings("unchecked")
    List<Float> values = (List<Float>) row.getField(FeatureTable.EMBEDDING);
    float[] embedding = new float[values.size()];
    for (int i = 0; i < embedding.length; i++) {
      embedding[i] = values.get(i);
    }
    assertThat(embedding).as("bit for bit").containsExactly(expected.embedding());
    assertThat(row.getField(FeatureTable.MODEL_DIGEST)).isEqualTo(expected.model().digest());
    assertThat(((OffsetDateTime) row.getField(TrainingSet.FEATURE_TIME)).toInstant())
        .isEqualTo(version);
  }

  private static List<Record> read(Path file) {
    return ParquetFiles.read(file);
  }
}
