package dev.featurestore.replicator.maintenance;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.featurestore.api.FeatureRow;
import dev.featurestore.iceberg.CatalogSettings;
import dev.featurestore.iceberg.FeatureTable;
import dev.featurestore.iceberg.testing.FeatureTables;
import dev.featurestore.replicator.checkpoint.CheckpointStore.Checkpoint;
import dev.featurestore.replicator.checkpoint.JdbcReplicationState;
import dev.featurestore.testing.FeatureRows;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.Stream;
import org.apache.iceberg.DataOperations;
import org.apache.iceberg.Schema;
import org.apache.iceberg.Snapshot;
import org.apache.iceberg.Table;
import org.apache.iceberg.catalog.Catalog;
import org.apache.iceberg.data.IcebergGenerics;
import org.apache.iceberg.data.Record;
import org.apache.iceberg.data.parquet.GenericParquetReaders;
import org.apache.iceberg.io.CloseableIterable;
import org.apache.iceberg.parquet.Parquet;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Maintenance of a real Iceberg table (SQLite JdbcCatalog, Parquet files on disk), with commits
 * racing it.
 */
class TableMaintenanceIT {

  private static final MaintenanceOptions KEEP_NOTHING_OLD =
      new MaintenanceOptions(
          Duration.ZERO, 1000, Duration.ofDays(1), 128L << 20, 96L << 20, Duration.ofDays(1));

  @TempDir Path stateDir;
  private CatalogSettings settings;
  private Catalog catalog;
  private Table table;
  private JdbcReplicationState state;
  private final java.util.List<com.zaxxer.hikari.HikariDataSource> statePools =
      new java.util.ArrayList<>();
  private TableMaintenance maintenance;
  private final Instant t0 = Instant.parse("2026-12-01T10:00:00Z");

  @BeforeEach
  void createTable() {
    settings = CatalogSettings.defaults();
    catalog = settings.load(stateDir);
    table = FeatureTable.createOrLoad(catalog, FeatureTable.identifier(settings.table()));
    state = state("maintainer");
    maintenance = maintenanceBy(state);
  }

  @AfterEach
  void close() {
    statePools.forEach(com.zaxxer.hikari.HikariDataSource::close);
    statePools.clear();
    maintenance.close();
  }

  @Test
  void compactionRacingCommitsLosesAndDuplicatesNothing() throws Exception {
    Map<String, Long> expected = new HashMap<>();
    int next = 0;
    for (; next < 60; next++) {
      appendOne(next, expected);
    }
    Table writerTable = freshTable();
    AtomicBoolean racing = new AtomicBoolean(true);
    int[] written = {next};
    CompletableFuture<Void> writer =
        CompletableFuture.runAsync(
            () -> {
              while (racing.get()) {
                int n = written[0]++;
                String id = "doc-" + n;
                // every tenth commit also tombstones an earlier id, as Kafka tombstones do
                List<String> erased = n % 10 == 0 ? List.of("doc-" + (n - 7)) : List.of();
                FeatureTables.eraseAndAppend(
                    writerTable, erased, List.of(FeatureRows.row(id, n, t0.plusMillis(n))));
                synchronized (expected) {
                  erased.forEach(expected::remove);
                  expected.put(id, (long) n);
                }
                // ~20 commits a second: a busy table (paced writers commit once a second each), not
                // a tight loop
                sleep(50);
              }
            });
    int compactedFiles = 0;
    for (int run = 0; run < 3; run++) {
      MaintenanceReport report = maintenance.run(KEEP_NOTHING_OLD);
      compactedFiles += report.compaction().filesBefore();
    }
    racing.set(false);
    writer.get(60, TimeUnit.SECONDS);

    assertThat(compactedFiles).as("files compacted while commits raced").isGreaterThan(30);
    Map<String, Integer> seen = liveRowCounts();
    assertThat(seen.values()).as("no row duplicated").allMatch(count -> count == 1);
    assertThat(seen.keySet())
        .as("no row lost, no tombstoned row back")
        .isEqualTo(expected.keySet());
    assertThat(operations()).contains(DataOperations.REPLACE);
  }

  @Test
  void expiryKeepsTaggedSnapshotsAndTheReplicatorCheckpointUntilItsMaxAge() {
    long tagged = FeatureTables.append(table, List.of(FeatureRows.row("tagged", 1, t0)));
    table.manageSnapshots().createTag("dataset-2026-12", tagged).commit();
    long expired = FeatureTables.append(table, List.of(FeatureRows.row("old", 2, t0)));
    long checkpoint = FeatureTables.append(table, List.of(FeatureRows.row("checkpoint", 3, t0)));
    long after = FeatureTables.append(table, List.of(FeatureRows.row("after", 4, t0)));
    saveCheckpoint(checkpoint);

    MaintenanceReport report = maintenance.run(KEEP_NOTHING_OLD);

    table.refresh();
    assertThat(table.snapshot(expired)).as("older than the checkpoint, untagged").isNull();
    assertThat(table.snapshot(tagged)).as("tagged").isNotNull();
    assertThat(table.snapshot(checkpoint)).as("the replicator still reads from it").isNotNull();
    assertThat(table.snapshot(after)).isNotNull();
    assertThat(report.snapshotsExpired()).isGreaterThanOrEqualTo(1);
    assertThat(idsAt(tagged))
        .as("the tag still reads what it pinned, after compaction")
        .containsExactly("tagged");

    TableMaintenance strict = maintenanceBy(state);
    try {
      strict.run(
          new MaintenanceOptions(
              Duration.ZERO, 1000, Duration.ZERO, 128L << 20, 96L << 20, Duration.ofDays(1)));
    } finally {
      strict.close();
    }
    table.refresh();
    assertThat(table.snapshot(checkpoint))
        .as("a checkpoint older than its max age holds nothing back")
        .isNull();
    assertThat(table.snapshot(tagged)).isNotNull();
  }

  @Test
  void compactionAndExpiryKeepEveryVersionDeletionsIncludedAndExpiredDatasetsGo() {
    FeatureTables.append(table, List.of(FeatureRows.row("kept", 1, t0)));
    FeatureTables.append(table, List.of(FeatureRows.row("kept", 2, t0.plusSeconds(1))));
    long pinned =
        FeatureTables.append(
            table,
            List.of(
                FeatureRow.deletion(
                    "kept", FeatureRows.TEST_MODEL, t0.plusSeconds(2), t0.plusSeconds(2))));
    table
        .manageSnapshots()
        .createTag("short-lived", pinned)
        .setMaxRefAgeMs("short-lived", 1)
        .commit();
    table.manageSnapshots().createTag("kept-dataset", pinned).commit();
    sleep(5);
    FeatureTables.append(table, List.of(FeatureRows.row("other", 3, t0.plusSeconds(3))));

    maintenance.run(KEEP_NOTHING_OLD);

    table.refresh();
    List<FeatureRow> history = new ArrayList<>();
    try (CloseableIterable<Record> rows = IcebergGenerics.read(table).build()) {
      rows.forEach(row -> history.add(FeatureTable.fromRecord(row)));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    assertThat(table.currentSnapshot().dataManifests(table.io())).as("compacted").isNotEmpty();
    assertThat(history)
        .as("every version of kept, its deletion too, after compaction and expiry")
        .filteredOn(row -> row.docId().equals("kept"))
        .extracting(FeatureRow::processedAt, FeatureRow::deleted)
        .containsExactlyInAnyOrder(
            org.assertj.core.groups.Tuple.tuple(t0, false),
            org.assertj.core.groups.Tuple.tuple(t0.plusSeconds(1), false),
            org.assertj.core.groups.Tuple.tuple(t0.plusSeconds(2), true));
    assertThat(table.refs())
        .as("a dataset past its retention is dropped")
        .doesNotContainKey("short-lived");
    assertThat(table.refs()).containsKey("kept-dataset");
  }

  @Test
  void expiryKeepsAtMostMaxSnapshotsHoweverYoungButStillTheTaggedOnes() {
    long tagged = FeatureTables.append(table, List.of(FeatureRows.row("tagged", 1, t0)));
    table.manageSnapshots().createTag("pinned", tagged).commit();
    List<Long> ids = new ArrayList<>();
    for (int i = 0; i < 30; i++) {
      ids.add(FeatureTables.append(table, List.of(FeatureRows.row("doc-" + i, 1, t0))));
    }
    MaintenanceOptions dayLongRetention =
        new MaintenanceOptions(
            Duration.ofDays(1), 10, Duration.ofDays(1), 128L << 20, 96L << 20, Duration.ofDays(1));

    MaintenanceReport report = maintenance.run(dayLongRetention, false);

    table.refresh();
    int kept = 0;
    for (Snapshot ignored : table.snapshots()) {
      kept++;
    }
    // the 10 newest (the compaction's among them) and the tagged one; one more if two commits
    // shared a millisecond
    assertThat(kept).isBetween(11, 12);
    assertThat(table.snapshot(tagged)).isNotNull();
    assertThat(table.snapshot(ids.get(0))).as("young but beyond the bound").isNull();
    assertThat(report.snapshotsExpired()).isGreaterThanOrEqualTo(20);
    assertThat(report.orphans()).as("no sweep asked for").isEqualTo(MaintenanceReport.Orphans.NONE);
    assertThat(idsAt(table.currentSnapshot().snapshotId())).hasSize(31);
  }

  @Test
  void anErasedIdIsInNoFileAfterMaintenance() throws IOException {
    List<FeatureRow> big = new ArrayList<>();
    for (int i = 0; i < 200; i++) {
      big.add(FeatureRows.row("bulk-" + i, i, t0));
    }
    big.add(FeatureRows.row("victim", 999, t0));
    FeatureTables.append(table, big);
    FeatureTables.append(
        table,
        List.of(
            FeatureRows.row("victim", 1000, t0.plusSeconds(1)),
            FeatureRows.row("other", 1001, t0)));
    FeatureTables.eraseAndAppend(table, List.of("victim"), List.of());
    assertThat(idsInFiles(true)).contains("victim");
    ErasureCheck erasure = new ErasureCheck(freshTable());
    ErasureCheck.Report tombstoned = erasure.check("victim");
    assertThat(tombstoned.liveRows()).isZero();
    assertThat(tombstoned.dataFiles()).as("both data files still hold a row").hasSize(2);
    assertThat(tombstoned.deleteFiles()).hasSize(1);
    assertThat(tombstoned.erased()).isFalse();
    assertThat(erasure.check("other").liveRows()).isEqualTo(1);

    MaintenanceReport report = maintenance.run(KEEP_NOTHING_OLD);

    assertThat(report.compaction().rowsDropped()).isEqualTo(2);
    assertThat(report.compaction().deleteFilesRemoved())
        .as("the tombstone applied to every file it concerned")
        .isEqualTo(1);
    assertThat(report.health().deleteFiles()).isZero();
    assertThat(idsInFiles(true))
        .as("every Parquet file under the table, delete files too")
        .doesNotContain("victim")
        .contains("other", "bulk-7");
    assertThat(liveRowCounts()).hasSize(201).doesNotContainKey("victim");
    ErasureCheck.Report erased = erasure.check("victim");
    assertThat(erased.erased()).isTrue();
    assertThat(erased.deleteFiles()).isEmpty();
    assertThat(erased.toText()).contains("victim: erased");

    // the compacted file is not rewritten again for a tombstone that is gone
    FeatureTables.append(table, List.of(FeatureRows.row("later", 1002, t0.plusSeconds(2))));
    MaintenanceReport later = maintenance.run(KEEP_NOTHING_OLD.withOrphanMinAge(Duration.ZERO));
    assertThat(later.compaction().filesBefore())
        .as("the new small file and the compacted one, once")
        .isEqualTo(2);
    assertThat(maintenance.run(KEEP_NOTHING_OLD).compaction().groups())
        .as("nothing left to compact")
        .isZero();
  }

  @Test
  void aBigFileIsLeftAloneUntilTheNewerSmallFilesReachATenthOfIt() {
    List<FeatureRow> big = new ArrayList<>();
    for (int i = 0; i < 3000; i++) {
      big.add(FeatureRows.row("big-" + i, i, t0));
    }
    FeatureTables.append(table, big);
    for (int i = 0; i < 3; i++) {
      FeatureTables.append(table, List.of(FeatureRows.row("small-" + i, 10_000 + i, t0)));
    }

    MaintenanceReport report = maintenance.run(KEEP_NOTHING_OLD);

    assertThat(report.compaction().filesBefore()).as("only the small files").isEqualTo(3);
    assertThat(report.health().dataFiles()).isEqualTo(2);
    assertThat(liveRowCounts()).hasSize(3003);
  }

  @Test
  void orphanFilesGoOnlyOnceOlderThanTheSafetyAge() throws IOException {
    FeatureTables.append(table, List.of(FeatureRows.row("a", 1, t0)));
    Path dataDir = Path.of(table.location(), "data");
    Path stray = dataDir.resolve("stray-from-a-killed-commit.parquet");
    Files.createDirectories(dataDir);
    Files.write(stray, new byte[] {1, 2, 3});
    Path strayMetadata = Path.of(table.location(), "metadata", "99999-stray.metadata.json");
    Files.writeString(strayMetadata, "{}");
    // a commit that lost its race: its metadata file was written before the table's current one, so
    // it can never land
    Path lostRace = Path.of(table.location(), "metadata", "99998-lost-race.metadata.json");
    Files.writeString(lostRace, "{}");
    Path current =
        Path.of(
            OrphanFiles.normalized(
                ((org.apache.iceberg.HasTableOperations) freshTable())
                    .operations()
                    .current()
                    .metadataFileLocation()));
    Files.setLastModifiedTime(
        lostRace, FileTime.fromMillis(Files.getLastModifiedTime(current).toMillis() - 1000));

    MaintenanceReport young =
        maintenance.run(KEEP_NOTHING_OLD.withOrphanMinAge(Duration.ofHours(1)));
    assertThat(young.orphans().removed()).as("only the lost race's metadata file").isEqualTo(1);
    assertThat(lostRace).doesNotExist();
    assertThat(young.orphans().tooYoung()).isGreaterThanOrEqualTo(2);
    assertThat(stray).exists();
    assertThat(strayMetadata)
        .as("written after the current metadata: may still be a commit in flight")
        .exists();

    FileTime twoHoursAgo = FileTime.from(Instant.now().minus(Duration.ofHours(2)));
    Files.setLastModifiedTime(stray, twoHoursAgo);
    Files.setLastModifiedTime(strayMetadata, twoHoursAgo);
    MaintenanceReport old = maintenance.run(KEEP_NOTHING_OLD.withOrphanMinAge(Duration.ofHours(1)));
    assertThat(old.orphans().removed()).isEqualTo(2);
    assertThat(stray).doesNotExist();
    assertThat(strayMetadata).doesNotExist();
    assertThat(liveRowCounts()).containsOnlyKeys("a");
    assertThat(freshTable().currentSnapshot()).isNotNull();
  }

  @Test
  void oneProcessAtATimeHoldsTheMaintenanceLease() {
    JdbcReplicationState other = state("other-process");
    assertThat(other.acquireOrRenew(table.name() + "#maintenance")).isTrue();
    assertThatThrownBy(() -> maintenance.run(KEEP_NOTHING_OLD))
        .isInstanceOf(TableMaintenance.LeaseUnavailableException.class)
        .hasMessageContaining("Another process is maintaining");
    other.release(table.name() + "#maintenance");
    FeatureTables.append(table, List.of(FeatureRows.row("a", 1, t0)));
    assertThat(maintenance.run(KEEP_NOTHING_OLD).health().snapshots()).isGreaterThanOrEqualTo(1);
  }

  @Test
  void killedDuringCompactionLeavesTheTableReadableAndALaterRunRemovesItsFiles() throws Exception {
    for (int i = 0; i < 400; i++) {
      List<FeatureRow> rows = new ArrayList<>();
      for (int j = 0; j < 5; j++) {
        rows.add(FeatureRows.row("doc-" + i + "-" + j, i * 10L + j, t0));
      }
      FeatureTables.append(table, rows);
    }
    Map<String, Integer> before = liveRowCounts();
    Process compactor = startCompactionProcess();
    try {
      Path data = Path.of(table.location(), "data");
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
      while (compactionFiles(data).isEmpty()
          && compactor.isAlive()
          && System.nanoTime() < deadline) {
        Thread.sleep(2);
      }
      assertThat(compactionFiles(data)).as("the compaction was writing its file").isNotEmpty();
    } finally {
      compactor.destroyForcibly();
      compactor.waitFor(30, TimeUnit.SECONDS);
    }
    Table reader = freshTable();
    assertThat(liveRowCounts(reader)).as("the table reads as before").isEqualTo(before);

    Path data = Path.of(table.location(), "data");
    List<Path> leftOver = compactionFiles(data);
    MaintenanceReport later = maintenance.run(KEEP_NOTHING_OLD.withOrphanMinAge(Duration.ZERO));
    assertThat(later.orphans().removed()).isGreaterThanOrEqualTo(1);
    assertThat(leftOver).allMatch(path -> !Files.exists(path) || referenced(path));
    assertThat(liveRowCounts(freshTable())).isEqualTo(before);
  }

  // ---------------------------------------------------------------------------------------------------------

  /** The test JVM's classpath, running {@link CompactionProcess}: killed with SIGKILL mid-write. */
  private Process startCompactionProcess() throws IOException {
    String java =
        System.getProperty("java.home") + File.separator + "bin" + File.separator + "java";
    return new ProcessBuilder(
            java,
            "-Xmx512m",
            "-XX:+UseSerialGC",
            "-cp",
            System.getProperty("java.class.path"),
            CompactionProcess.class.getName(),
            stateDir.toString())
        .redirectErrorStream(true)
        .redirectOutput(stateDir.resolve("compactor.log").toFile())
        .start();
  }

  private static List<Path> compactionFiles(Path data) throws IOException {
    if (!Files.isDirectory(data)) {
      return List.of();
    }
    try (Stream<Path> files = Files.walk(data)) {
      return files.filter(path -> path.getFileName().toString().contains("compaction-")).toList();
    }
  }

  private boolean referenced(Path path) {
    table.refresh();
    try (CloseableIterable<org.apache.iceberg.FileScanTask> tasks = table.newScan().planFiles()) {
      for (org.apache.iceberg.FileScanTask task : tasks) {
        if (OrphanFiles.normalized(task.file().location()).equals(path.toString())) {
          return true;
        }
      }
      return false;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static void sleep(long millis) {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private void appendOne(int n, Map<String, Long> expected) {
    FeatureTables.append(table, List.of(FeatureRows.row("doc-" + n, n, t0.plusMillis(n))));
    expected.put("doc-" + n, (long) n);
  }

  private TableMaintenance maintenanceBy(JdbcReplicationState owner) {
    return new TableMaintenance(
        freshTable(),
        table.name(),
        owner,
        owner,
        Duration.ofSeconds(30),
        Clock.systemUTC(),
        new SimpleMeterRegistry());
  }

  private JdbcReplicationState state(String owner) {
    Map<String, String> properties = settings.resolvedProperties(stateDir);
    com.zaxxer.hikari.HikariDataSource pool =
        JdbcReplicationState.pooledDataSource(properties.get("uri"), null, null);
    statePools.add(pool);
    return new JdbcReplicationState(pool, owner, Duration.ofSeconds(30), Clock.systemUTC());
  }

  private void saveCheckpoint(long snapshotId) {
    assertThat(state.acquireOrRenew(table.name())).isTrue();
    long generation = state.claimGeneration(table.name()).orElseThrow();
    assertThat(
            state.save(
                table.name(), state.load(table.name()), Checkpoint.of(snapshotId, generation)))
        .isTrue();
    state.release(table.name());
  }

  private Table freshTable() {
    return catalog.loadTable(FeatureTable.identifier(settings.table()));
  }

  private List<String> operations() {
    table.refresh();
    List<String> operations = new ArrayList<>();
    for (Snapshot snapshot : table.snapshots()) {
      operations.add(snapshot.operation());
    }
    return operations;
  }

  private Map<String, Integer> liveRowCounts() {
    return liveRowCounts(freshTable());
  }

  private static Map<String, Integer> liveRowCounts(Table table) {
    Map<String, Integer> counts = new HashMap<>();
    try (CloseableIterable<Record> rows =
        IcebergGenerics.read(table).select(FeatureTable.DOC_ID).build()) {
      rows.forEach(
          row -> counts.merge((String) row.getField(FeatureTable.DOC_ID), 1, Integer::sum));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return counts;
  }

  private List<String> idsAt(long snapshotId) {
    List<String> ids = new ArrayList<>();
    try (CloseableIterable<Record> rows =
        IcebergGenerics.read(freshTable())
            .useSnapshot(snapshotId)
            .select(FeatureTable.DOC_ID)
            .build()) {
      rows.forEach(row -> ids.add((String) row.getField(FeatureTable.DOC_ID)));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return ids;
  }

  /**
   * Doc ids in the Parquet files under the table's location (delete files too, or not), read from
   * the files themselves.
   */
  private List<String> idsInFiles(boolean deleteFilesToo) throws IOException {
    Schema docIdOnly = FeatureTable.SCHEMA.select(FeatureTable.DOC_ID);
    List<String> ids = new ArrayList<>();
    try (Stream<Path> files = Files.walk(Path.of(table.location()))) {
      // the test's equality-delete files are named test-deletes-*
      for (Path file :
          files
              .filter(path -> path.toString().endsWith(".parquet"))
              .filter(
                  path ->
                      deleteFilesToo || !path.getFileName().toString().startsWith("test-deletes-"))
              .toList()) {
        try (CloseableIterable<Record> rows =
            Parquet.read(table.io().newInputFile(file.toString()))
                .project(docIdOnly)
                .createReaderFunc(schema -> GenericParquetReaders.buildReader(docIdOnly, schema))
                .build()) {
          rows.forEach(row -> ids.add((String) row.getField(FeatureTable.DOC_ID)));
        }
      }
    }
    return ids;
  }
}
