package dev.featurestore.replicator.sync;

import static org.assertj.core.api.Assertions.assertThat;

import dev.featurestore.common.CatalogSettings;
import dev.featurestore.common.FeatureRow;
import dev.featurestore.common.FeatureTable;
import dev.featurestore.common.MemcachedClients;
import dev.featurestore.common.MemcachedKeyScheme;
import dev.featurestore.common.MemcachedSettings;
import dev.featurestore.common.OnlineFeature;
import dev.featurestore.common.OnlineFeatureCodec;
import dev.featurestore.common.testing.FeatureTables;
import dev.featurestore.common.testing.MemcachedServer;
import dev.featurestore.replicator.checkpoint.CheckpointStore;
import dev.featurestore.replicator.checkpoint.JdbcCheckpointStore;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import net.spy.memcached.MemcachedClient;
import org.apache.iceberg.CatalogProperties;
import org.apache.iceberg.Table;
import org.apache.iceberg.catalog.Catalog;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The replicator against a real Iceberg table (SQLite JdbcCatalog, Parquet) and a real memcached. */
class SnapshotFollowerIT {

  private static MemcachedServer memcached;
  private static MemcachedClient client;

  @TempDir Path stateDir;
  private Table table;
  private CheckpointStore checkpoints;
  private SimpleMeterRegistry meters;
  private final MemcachedKeyScheme keys = MemcachedKeyScheme.withNamespace("it" + System.nanoTime());

  @BeforeAll
  static void startMemcached() {
    memcached = MemcachedServer.start();
    client = MemcachedClients.connect(new MemcachedSettings(List.of(memcached.address()), Duration.ofSeconds(2), null));
  }

  @AfterAll
  static void stopMemcached() {
    client.shutdown();
    memcached.close();
  }

  @BeforeEach
  void createTable() {
    CatalogSettings settings = CatalogSettings.defaults();
    Catalog catalog = settings.load(stateDir);
    table = FeatureTable.createOrLoad(catalog, FeatureTable.identifier(settings.table()));
    checkpoints = new JdbcCheckpointStore(settings.resolvedProperties(stateDir).get(CatalogProperties.URI), null, null);
    meters = new SimpleMeterRegistry();
  }

  @AfterEach
  void closeMeters() {
    meters.close();
  }

  @Test
  void appendsAreMirroredAndTheNewestRowOfARepeatedIdWins() {
    Instant t0 = Instant.parse("2026-11-25T10:00:00Z");
    FeatureTables.append(table, List.of(FeatureTables.row("a", 1, t0), FeatureTables.row("b", 2, t0)));
    FeatureTables.append(table, List.of(FeatureTables.row("a", 3, t0.plusSeconds(1)), FeatureTables.row("c", 4, t0.plusSeconds(1))));
    // the same id twice in one file: the later row of the file wins
    FeatureTables.append(table, List.of(FeatureTables.row("d", 5, t0.plusSeconds(2)), FeatureTables.row("d", 6, t0.plusSeconds(2))));

    assertThat(follower().runOnce()).isEqualTo(6);

    assertOnlineStoreEqualsTable();
    assertThat(online("a").row().embedding()).containsExactly(FeatureTables.row("a", 3, t0).embedding());
    assertThat(online("d").row().embedding()).containsExactly(FeatureTables.row("d", 6, t0).embedding());
    assertThat(online("a").version().sequenceNumber()).isGreaterThan(online("b").version().sequenceNumber());
    assertThat(checkpoints.load(table.name())).hasValue(table.currentSnapshot().snapshotId());
  }

  @Test
  void checkpointSurvivesARestartAndOnlyNewSnapshotsAreRead() {
    Instant t0 = Instant.parse("2026-11-25T10:00:00Z");
    FeatureTables.append(table, List.of(FeatureTables.row("a", 1, t0), FeatureTables.row("b", 2, t0)));
    assertThat(follower().runOnce()).isEqualTo(2);
    assertThat(follower().runOnce()).as("nothing new").isZero();

    FeatureTables.append(table, List.of(FeatureTables.row("c", 3, t0.plusSeconds(1))));
    SnapshotFollower restarted = follower();
    assertThat(restarted.runOnce()).as("only the new snapshot").isEqualTo(1);
    assertOnlineStoreEqualsTable();
  }

  @Test
  void checkpointExpiredFromHistoryTriggersAFullResync() {
    Instant t0 = Instant.parse("2026-11-25T10:00:00Z");
    FeatureTables.append(table, List.of(FeatureTables.row("a", 1, t0)));
    follower().runOnce();
    for (int i = 0; i < 3; i++) {
      FeatureTables.append(table, List.of(FeatureTables.row("n" + i, 10 + i, t0.plusSeconds(i + 1))));
    }
    table.expireSnapshots().retainLast(1).expireOlderThan(System.currentTimeMillis() + 1000).commit();
    table.refresh();
    assertThat(table.snapshots()).hasSize(1);

    double resyncsBefore = meters.counter("featurestore.replicator.full.resyncs").count();
    assertThat(follower().runOnce()).as("every live row, re-read from the current snapshot").isEqualTo(4);
    assertThat(meters.counter("featurestore.replicator.full.resyncs").count()).isEqualTo(resyncsBefore + 1);
    assertOnlineStoreEqualsTable();
  }

  @Test
  void failedWritesLeaveTheCheckpointSoTheRangeIsRetried() {
    Instant t0 = Instant.parse("2026-11-25T10:00:00Z");
    FeatureTables.append(table, List.of(FeatureTables.row("a", 1, t0)));
    follower().runOnce();
    OptionalLong before = checkpoints.load(table.name());
    FeatureTables.append(table, List.of(FeatureTables.row("b", 2, t0.plusSeconds(1))));

    memcached.stop();
    try {
      assertThat(follower().runOnce()).isZero();
      assertThat(meters.counter("featurestore.replicator.cycle.failures").count()).isEqualTo(1);
      assertThat(checkpoints.load(table.name())).isEqualTo(before);
    } finally {
      memcached.restart();
    }

    // the restarted server is empty: this cycle only re-sends the range after the checkpoint
    long written = 0;
    for (int attempt = 0; attempt < 100 && written == 0; attempt++) {
      written = follower().runOnce();
      sleep(100);
    }
    assertThat(written).isEqualTo(1);
    assertThat(online("b")).isNotNull();
    assertThat(checkpoints.load(table.name())).hasValue(table.currentSnapshot().snapshotId());
  }

  private SnapshotFollower follower() {
    return new SnapshotFollower(table, table.name(), () -> new OnlineStoreWriter(client, keys, 100, 2000), checkpoints, meters);
  }

  private OnlineFeature online(String docId) {
    byte[] value = client.get(keys.keyFor(docId), MemcachedClients.RAW_BYTES);
    return value == null ? null : OnlineFeatureCodec.decode(value);
  }

  /** Every doc id of a fresh table read is in memcached with the newest row, and nothing else is there. */
  private void assertOnlineStoreEqualsTable() {
    table.refresh();
    TableChangeReader reader = new TableChangeReader(table);
    TableChangeReader.Plan plan = reader.plan(null, table.currentSnapshot());
    Map<String, FeatureRow> expected = new LinkedHashMap<>();
    plan.tasks().forEach(task -> reader.read(plan, task, feature -> expected.put(feature.docId(), feature.row())));
    Map<String, Object> bulk = client.getBulk(new ArrayList<>(expected.keySet().stream().map(keys::keyFor).toList()), MemcachedClients.RAW_BYTES)
        .entrySet().stream().collect(HashMap::new, (m, e) -> m.put(e.getKey(), e.getValue()), HashMap::putAll);
    assertThat(bulk).hasSize(expected.size());
    expected.forEach(
        (docId, row) -> assertThat(OnlineFeatureCodec.decode((byte[]) bulk.get(keys.keyFor(docId))).row()).as(docId).isEqualTo(row));
  }

  private static void sleep(long millis) {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
