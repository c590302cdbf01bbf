package dev.featurestore.replicator.sync;

import static org.assertj.core.api.Assertions.assertThat;

import dev.featurestore.api.FeatureRow;
import dev.featurestore.api.FeatureVersion;
import dev.featurestore.api.MemcachedKeyScheme;
import dev.featurestore.api.ModelId;
import dev.featurestore.api.OnlineFeature;
import dev.featurestore.api.OnlineFeatureCodec;
import dev.featurestore.iceberg.CatalogSettings;
import dev.featurestore.iceberg.FeatureTable;
import dev.featurestore.iceberg.testing.FeatureTables;
import dev.featurestore.memcached.MemcachedClients;
import dev.featurestore.memcached.MemcachedSettings;
import dev.featurestore.memcached.OnlineStoreGeneration;
import dev.featurestore.memcached.testing.MemcachedServer;
import dev.featurestore.replicator.checkpoint.CheckpointStore.Checkpoint;
import dev.featurestore.replicator.checkpoint.JdbcReplicationState;
import dev.featurestore.testing.FeatureRows;
import dev.featurestore.testing.Ports;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import net.spy.memcached.MemcachedClient;
import org.apache.iceberg.CatalogProperties;
import org.apache.iceberg.SnapshotChanges;
import org.apache.iceberg.Table;
import org.apache.iceberg.catalog.Catalog;
import org.apache.iceberg.data.IcebergGenerics;
import org.apache.iceberg.data.Record;
import org.apache.iceberg.io.CloseableIterable;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The replicator against a real Iceberg table (SQLite JdbcCatalog, Parquet) and a real memcached.
 */
class SnapshotFollowerIT {

  private static MemcachedServer memcached;
  private static MemcachedClient client;

  @TempDir Path stateDir;
  private Table table;
  private JdbcReplicationState checkpoints;
  private final List<com.zaxxer.hikari.HikariDataSource> statePools = new java.util.ArrayList<>();
  private Map<String, String> stateProperties;
  private SimpleMeterRegistry meters;
  private final MemcachedKeyScheme keys =
      MemcachedKeyScheme.withNamespace("it" + System.nanoTime());

  @BeforeAll
  static void startMemcached() {
    memcached = MemcachedServer.start();
    client =
        MemcachedClients.connect(
            new MemcachedSettings(List.of(memcached.address()), Duration.ofSeconds(2), null));
  }

  @AfterAll
  static void stopMemcached() {
    client.shutdown();
    memcached.close();
  }

  /**
   * Where the catalog and the replicator's state live: SQLite under the state directory, as
   * `./featurestore up` runs.
   */
  CatalogSettings catalogSettings() {
    return CatalogSettings.defaults();
  }

  @BeforeEach
  void createTable() {
    CatalogSettings settings = catalogSettings();
    Catalog catalog = settings.load(stateDir);
    table = FeatureTable.createOrLoad(catalog, FeatureTable.identifier(settings.table()));
    stateProperties = settings.resolvedProperties(stateDir);
    checkpoints = state("primary", Duration.ofSeconds(30));
    meters = new SimpleMeterRegistry();
  }

  @AfterEach
  void closeMeters() {
    meters.close();
    statePools.forEach(com.zaxxer.hikari.HikariDataSource::close);
    statePools.clear();
  }

  @Test
  void theWarmUpWritesOnlyToAGenerationNoReaderServesAndLeavesTheTableAlone() {
    follower().warmUp();

    assertThat(
            client.get(
                keys.inGeneration(ReplicationWarmUp.UNSERVED_GENERATION)
                    .keyFor("featurestore-replicator-warm-up"),
                MemcachedClients.RAW_BYTES))
        .as("the scratch row went through the whole path")
        .isNotNull();
    table.refresh();
    assertThat(table.currentSnapshot()).as("the real table is not touched").isNull();
    assertThat(follower().runOnce()).isZero();
    assertThat(checkpoints.load(table.name()).generation()).isPositive();
  }

  @Test
  void appendsAreMirroredAndTheNewestRowOfARepeatedIdWins() {
    Instant t0 = Instant.parse("2026-11-25T10:00:00Z");
    FeatureTables.append(table, List.of(FeatureRows.row("a", 1, t0), FeatureRows.row("b", 2, t0)));
    FeatureTables.append(
        table,
        List.of(
            FeatureRows.row("a", 3, t0.plusSeconds(1)),
            FeatureRows.row("c", 4, t0.plusSeconds(1))));
    // the same id twice in one file: the later row of the file wins
    FeatureTables.append(
        table,
        List.of(
            FeatureRows.row("d", 5, t0.plusSeconds(2)),
            FeatureRows.row("d", 6, t0.plusSeconds(2))));

    assertThat(follower().runOnce())
        .as("4 keys; the older rows of a and d are superseded in their batch")
        .isEqualTo(4);
    assertThat(meters.counter("featurestore.replicator.rows.skipped").count()).isEqualTo(2);

    assertOnlineStoreEqualsTable();
    assertThat(online("a").row().embedding())
        .containsExactly(FeatureRows.row("a", 3, t0).embedding());
    assertThat(online("d").row().embedding())
        .containsExactly(FeatureRows.row("d", 6, t0).embedding());
    assertThat(online("a").version().sequenceNumber())
        .isGreaterThan(online("b").version().sequenceNumber());
    assertThat(checkpoints.load(table.name()).snapshotId())
        .hasValue(table.currentSnapshot().snapshotId());
  }

  @Test
  @SuppressWarnings("ReachabilityFenceUsage")
  void lagKeepsGrowingWhileCyclesFailAndAStandbyReportsNoLagOfItsOwn() throws Exception {
    Instant t0 = Instant.parse("2026-11-25T10:00:00Z");
    FeatureTables.append(table, List.of(FeatureRows.row("a", 1, t0)));
    // one follower throughout: a registry's gauge stays bound to the follower that registered it
    // first
    SnapshotFollower primary = follower();
    primary.runOnce();
    assertThat(gauge(meters, "featurestore.replicator.lag.seconds")).isZero();

    int closedPort = Ports.free();
    MemcachedClient unreachable =
        MemcachedClients.connect(
            new MemcachedSettings(
                List.of("127.0.0.1:" + closedPort), Duration.ofMillis(100), null));
    try {
      SimpleMeterRegistry failingMeters = new SimpleMeterRegistry();
      SnapshotFollower failing =
          new SnapshotFollower(
              table,
              table.name(),
              () -> new OnlineStoreWriter(unreachable, keys, 100, 100),
              new OnlineStoreSentinels(unreachable, keys, 100),
              checkpoints,
              checkpoints,
              failingMeters);
      FeatureTables.append(table, List.of(FeatureRows.row("b", 2, t0)));
      assertThat(failing.runOnce()).isZero();
      assertThat(failingMeters.counter("featurestore.replicator.cycle.failures").count())
          .isEqualTo(1);
      assertThat(gauge(failingMeters, "featurestore.replicator.lag.snapshots")).isEqualTo(1);
      double before = gauge(failingMeters, "featurestore.replicator.lag.seconds");
      sleep(1100);
      // no cycle in between: the gauge ages the oldest missing snapshot itself
      assertThat(gauge(failingMeters, "featurestore.replicator.lag.seconds"))
          .isGreaterThanOrEqualTo(before + 1.0);

      SimpleMeterRegistry standbyMeters = new SimpleMeterRegistry();
      SnapshotFollower standby = follower(state("standby", Duration.ofSeconds(30)), standbyMeters);
      assertThat(standby.runOnce()).isZero();
      assertThat(standby.isLeader()).isFalse();
      assertThat(gauge(standbyMeters, "featurestore.replicator.lag.seconds")).isZero();
      assertThat(gauge(standbyMeters, "featurestore.replicator.lag.snapshots")).isZero();

      assertThat(primary.runOnce()).isEqualTo(1);
      assertThat(gauge(meters, "featurestore.replicator.lag.seconds")).isZero();
      assertThat(gauge(meters, "featurestore.replicator.lag.snapshots")).isZero();
      // gauges hold their followers weakly: keep every follower alive until its gauges were read
      // (after a failed assertion nothing reads them: the fences need no finally)
      java.lang.ref.Reference.reachabilityFence(failing);
      java.lang.ref.Reference.reachabilityFence(standby);
      java.lang.ref.Reference.reachabilityFence(primary);
    } finally {
      unreachable.shutdown();
    }
  }

  private static double gauge(SimpleMeterRegistry registry, String name) {
    return registry.get(name).gauge().value();
  }

  @Test
  void tombstonesAndOverwritesAreMirrored() {
    Instant t0 = Instant.parse("2026-11-25T10:00:00Z");
    FeatureTables.append(
        table,
        List.of(
            FeatureRows.row("a", 1, t0), FeatureRows.row("b", 2, t0), FeatureRows.row("c", 3, t0)));
    follower().runOnce();
    assertThat(online("b")).isNotNull();

    // what the writer commits for a batch with tombstones: one RowDelta (an overwrite snapshot)
    FeatureTables.eraseAndAppend(
        table, List.of("b"), List.of(FeatureRows.row("d", 4, t0.plusSeconds(1))));
    // a delete-only snapshot, then an id erased and re-added in the same snapshot (the new row
    // survives)
    FeatureTables.eraseAndAppend(table, List.of("c"), List.of());
    FeatureTables.eraseAndAppend(
        table, List.of("a"), List.of(FeatureRows.row("a", 5, t0.plusSeconds(2))));

    assertThat(follower().runOnce())
        .as("2 deletes + 2 sets; the erasure of a is superseded by its new row")
        .isEqualTo(4);
    assertOnlineStoreEqualsTable("b", "c");
    assertThat(online("a").row().embedding())
        .containsExactly(FeatureRows.row("a", 5, t0).embedding());
    assertThat(meters.counter("featurestore.replicator.rows.deleted").count()).isEqualTo(2);
  }

  @Test
  void deletionRowsAreMirroredAsErasuresByIncrementalReadsAndFullResyncsAlike() {
    Instant t0 = Instant.parse("2026-11-25T10:00:00Z");
    ModelId model = FeatureRows.row("a", 1, t0).model();
    FeatureTables.append(
        table,
        List.of(
            FeatureRows.row("a", 1, t0), FeatureRows.row("b", 2, t0), FeatureRows.row("c", 3, t0)));
    follower().runOnce();
    Instant t1 = t0.plusSeconds(1);
    FeatureTables.append(
        table,
        List.of(FeatureRow.deletion("a", model, t1, t1), FeatureRow.deletion("c", model, t1, t1)));
    FeatureTables.append(table, List.of(FeatureRows.row("c", 7, t0.plusSeconds(2))));

    assertThat(follower().runOnce())
        .as("a's erasure and c's new row (its deletion superseded within the cycle)")
        .isEqualTo(2);
    assertThat(online("a")).as("deleted").isNull();
    assertThat(online("c").row().embedding())
        .as("re-created after its deletion")
        .containsExactly(FeatureRows.row("c", 7, t0).embedding());
    assertThat(meters.counter("featurestore.replicator.rows.deleted").count()).isEqualTo(1);
    assertOnlineStoreEqualsTable();

    // the same state from the rows alone: the history outlives the snapshots
    FeatureTables.append(table, List.of(FeatureRows.row("d", 8, t0.plusSeconds(3))));
    FeatureTables.append(table, List.of(FeatureRows.row("e", 9, t0.plusSeconds(4))));
    table
        .expireSnapshots()
        .retainLast(1)
        .expireOlderThan(System.currentTimeMillis() + 1000)
        .commit();
    double resyncsBefore = meters.counter("featurestore.replicator.full.resyncs").count();
    follower().runOnce();
    assertThat(meters.counter("featurestore.replicator.full.resyncs").count())
        .isEqualTo(resyncsBefore + 1);
    assertThat(online("a")).as("deleted, after the resync").isNull();
    assertOnlineStoreEqualsTable();
  }

  @Test
  void anOlderValueNeverReplacesANewerOne() {
    Instant t0 = Instant.parse("2026-11-25T10:00:00Z");
    OnlineFeature v5 = OnlineFeature.of(FeatureRows.row("k", 5, t0), FeatureVersion.of(55, 5));
    OnlineFeature v3 = OnlineFeature.of(FeatureRows.row("k", 3, t0), FeatureVersion.of(33, 3));
    OnlineFeature v7 = OnlineFeature.of(FeatureRows.row("k", 7, t0), FeatureVersion.of(77, 7));
    OnlineStoreWriter writer = new OnlineStoreWriter(client, keys, 100, 2000);

    writer.set(v5);
    writer.flush();
    // a replicator replaying an old range (failover overlap) arrives late with version 3
    writer.set(v3);
    writer.flush();
    assertThat(writer.skipped()).isEqualTo(1);
    assertThat(online("k").version().sequenceNumber()).isEqualTo(5);

    // erased at 6: an older value cannot resurrect it, a newer one can
    writer.delete("k", FeatureVersion.of(66, 6));
    writer.set(v5);
    writer.flush();
    assertThat(online("k")).isNull();
    writer.set(v7);
    writer.flush();
    assertThat(online("k").row()).isEqualTo(v7.row());

    // repeats of one key in one batch apply in order: the last one wins
    OnlineStoreWriter batch = new OnlineStoreWriter(client, keys, 100, 2000);
    batch.set(OnlineFeature.of(FeatureRows.row("r", 1, t0), FeatureVersion.of(90, 9)));
    batch.set(OnlineFeature.of(FeatureRows.row("r", 2, t0), FeatureVersion.of(90, 9)));
    batch.set(OnlineFeature.of(FeatureRows.row("r", 3, t0), FeatureVersion.of(90, 9)));
    batch.flush();
    assertThat(online("r").row()).isEqualTo(FeatureRows.row("r", 3, t0));

    // and across pipelined batches (one in flight while the next is sent): still the last one wins
    OnlineStoreWriter pipelined = new OnlineStoreWriter(client, keys, 2, 2000);
    for (int i = 1; i <= 9; i++) {
      pipelined.set(OnlineFeature.of(FeatureRows.row("p", i, t0), FeatureVersion.of(95, 9)));
      pipelined.set(OnlineFeature.of(FeatureRows.row("q" + i, i, t0), FeatureVersion.of(95, 9)));
      pipelined.set(OnlineFeature.of(FeatureRows.row("p", 10 + i, t0), FeatureVersion.of(95, 9)));
    }
    pipelined.flush();
    assertThat(online("p").row()).isEqualTo(FeatureRows.row("p", 19, t0));
    assertThat(online("q9").row()).isEqualTo(FeatureRows.row("q9", 9, t0));
    assertThat(pipelined.written() + pipelined.skipped())
        .as("applied or superseded within its batch")
        .isEqualTo(27);
  }

  @Test
  void positionDeletesAndCopyOnWriteRestoreTheSurvivingRowOrErase() {
    Instant t0 = Instant.parse("2026-11-25T10:00:00Z");
    long first =
        FeatureTables.append(
            table,
            List.of(
                FeatureRows.row("a", 1, t0),
                FeatureRows.row("b", 2, t0),
                FeatureRows.row("c", 3, t0)));
    long second = FeatureTables.append(table, List.of(FeatureRows.row("a", 4, t0.plusSeconds(1))));
    follower().runOnce();
    assertThat(online("a").row().embedding())
        .containsExactly(FeatureRows.row("a", 4, t0).embedding());

    // a position delete removes the newest row of "a" (the older one survives) and the only row of
    // "b"
    FeatureTables.deletePositions(table, FeatureTables.fileOf(table, second), 0);
    FeatureTables.deletePositions(table, FeatureTables.fileOf(table, first), 1);
    follower().runOnce();
    assertThat(online("a").row().embedding())
        .as("restored older row")
        .containsExactly(FeatureRows.row("a", 1, t0).embedding());
    assertThat(online("b")).isNull();

    // copy-on-write: the first file is rewritten without "c"
    FeatureTables.overwrite(
        table, FeatureTables.fileOf(table, first), List.of(FeatureRows.row("a", 1, t0)));
    follower().runOnce();
    assertThat(online("c")).isNull();
    assertOnlineStoreEqualsTable("b", "c");
  }

  @Test
  void compactionSnapshotsChangeNothing() {
    Instant t0 = Instant.parse("2026-11-25T10:00:00Z");
    FeatureTables.append(table, List.of(FeatureRows.row("a", 1, t0)));
    FeatureTables.append(table, List.of(FeatureRows.row("b", 2, t0)));
    follower().runOnce();
    // rewrite both files into one, as a compaction job would (operation "replace")
    table.refresh();
    List<org.apache.iceberg.DataFile> old = new ArrayList<>();
    SnapshotChanges.builderFor(table)
        .snapshot(table.currentSnapshot())
        .build()
        .addedDataFiles()
        .forEach(old::add);
    SnapshotChanges.builderFor(table)
        .snapshot(table.snapshot(table.currentSnapshot().parentId()))
        .build()
        .addedDataFiles()
        .forEach(old::add);
    long compactedSnapshot =
        FeatureTables.rewrite(
            table, old, List.of(FeatureRows.row("a", 1, t0), FeatureRows.row("b", 2, t0)));
    assertThat(table.snapshot(compactedSnapshot).operation()).isEqualTo("replace");

    assertThat(follower().runOnce()).as("a replace snapshot changes no row").isZero();
    assertThat(checkpoints.load(table.name()).snapshotId()).hasValue(compactedSnapshot);
    assertOnlineStoreEqualsTable();
  }

  @Test
  void memcachedThatRestartedEmptyIsReWarmedWithoutNewSnapshots() {
    Instant t0 = Instant.parse("2026-11-25T10:00:00Z");
    List<FeatureRow> rows = new ArrayList<>();
    for (int i = 0; i < 300; i++) {
      rows.add(FeatureRows.row("w" + i, i, t0));
    }
    FeatureTables.append(table, rows);
    follower().runOnce();
    assertThat(follower().runOnce()).as("warm and caught up: nothing to do").isZero();

    memcached.restart();
    long rewarmed = 0;
    for (int attempt = 0; attempt < 100 && rewarmed == 0; attempt++) {
      rewarmed = follower().runOnce();
      sleep(100);
    }

    assertThat(rewarmed).isEqualTo(300);
    assertOnlineStoreEqualsTable();
    assertThat(meters.counter("featurestore.replicator.rewarms").count()).isEqualTo(1);
    assertThat(follower().runOnce()).as("warm again").isZero();
  }

  @Test
  void standbyTakesOverWhenTheActiveReplicatorDiesAndContinuesFromItsCheckpoint() {
    Duration ttl = Duration.ofMillis(1500);
    SimpleMeterRegistry activeMeters = new SimpleMeterRegistry();
    SimpleMeterRegistry standbyMeters = new SimpleMeterRegistry();
    SnapshotFollower active = follower(state("active", ttl), activeMeters);
    SnapshotFollower standby = follower(state("standby", ttl), standbyMeters);
    Instant t0 = Instant.parse("2026-11-25T10:00:00Z");
    FeatureTables.append(table, List.of(FeatureRows.row("a", 1, t0), FeatureRows.row("b", 2, t0)));

    assertThat(active.runOnce()).isEqualTo(2);
    assertThat(active.isLeader()).isTrue();
    FeatureTables.append(table, List.of(FeatureRows.row("c", 3, t0.plusSeconds(1))));
    assertThat(standby.runOnce()).as("a standby writes nothing").isZero();
    assertThat(standby.isLeader()).isFalse();
    assertThat(online("c")).isNull();

    // the active replicator dies (no more cycles, no release); the standby takes over once the
    // lease expires
    long diedAt = System.nanoTime();
    long written = 0;
    while (written == 0 && System.nanoTime() - diedAt < Duration.ofSeconds(10).toNanos()) {
      written = standby.runOnce();
      sleep(100);
    }
    long takeoverMillis = (System.nanoTime() - diedAt) / 1_000_000;
    assertThat(standby.isLeader()).isTrue();
    assertThat(written).as("only the snapshot after the dead leader's checkpoint").isEqualTo(1);
    assertThat(takeoverMillis).as("takeover within the lease TTL plus a cycle").isLessThan(10_000);
    assertOnlineStoreEqualsTable();

    // the old leader comes back: it stands by, and cannot move the checkpoint
    assertThat(active.runOnce()).isZero();
    assertThat(active.isLeader()).isFalse();
    assertThat(
            state("active", ttl)
                .save(table.name(), checkpoints.load(table.name()), Checkpoint.of(42L, 99)))
        .as("checkpoint is fenced by the lease")
        .isFalse();

    // a graceful stop hands over at once
    standby.release();
    FeatureTables.append(table, List.of(FeatureRows.row("d", 4, t0.plusSeconds(2))));
    assertThat(active.runOnce()).isEqualTo(1);
    assertOnlineStoreEqualsTable();

    // even the lease holder cannot move a checkpoint it did not load (a stalled cycle that got the
    // lease back)
    Checkpoint now = checkpoints.load(table.name());
    JdbcReplicationState holder = state("active", ttl);
    assertThat(
            holder.save(
                table.name(),
                Checkpoint.of(7L, now.generation()),
                Checkpoint.of(42L, now.generation())))
        .isFalse();
    assertThat(holder.save(table.name(), now, now))
        .as("the comparison, not the lease, refused it")
        .isTrue();
  }

  @Test
  void withTwoServersOnlyTheShareOfTheOneThatRestartedIsReWarmed() {
    try (MemcachedServer second = MemcachedServer.start()) {
      MemcachedClient both =
          MemcachedClients.connect(
              new MemcachedSettings(
                  List.of(memcached.address(), second.address()), Duration.ofSeconds(2), null));
      try {
        SnapshotFollower follower =
            new SnapshotFollower(
                table,
                table.name(),
                () -> new OnlineStoreWriter(both, keys, 100, 2000),
                new OnlineStoreSentinels(both, keys, 2000),
                checkpoints,
                checkpoints,
                meters);
        Instant t0 = Instant.parse("2026-11-25T10:00:00Z");
        List<FeatureRow> rows = new ArrayList<>();
        for (int i = 0; i < 300; i++) {
          rows.add(FeatureRows.row("s" + i, i, t0));
        }
        FeatureTables.append(table, rows);
        assertThat(follower.runOnce()).isEqualTo(300);
        MemcachedKeyScheme served = served(both);
        long onSecond =
            rows.stream()
                .filter(
                    r ->
                        both.getNodeLocator()
                            .getPrimary(served.keyFor(r.docId()))
                            .getSocketAddress()
                            .toString()
                            .endsWith(":" + second.port()))
                .count();
        assertThat(onSecond)
            .as("consistent hashing spreads keys over both servers")
            .isBetween(50L, 250L);

        second.restart();
        long rewarmed = 0;
        for (int attempt = 0; attempt < 100 && rewarmed == 0; attempt++) {
          rewarmed = follower.runOnce();
          sleep(100);
        }

        assertThat(rewarmed).as("only the restarted server's share").isEqualTo(onSecond);
        for (FeatureRow row : rows) {
          byte[] value = both.get(served(both).keyFor(row.docId()), MemcachedClients.RAW_BYTES);
          assertThat(value).as(row.docId()).isNotNull();
          assertThat(OnlineFeatureCodec.decode(value).row()).isEqualTo(row);
        }
      } finally {
        both.shutdown();
      }
    }
  }

  @Test
  void checkpointSurvivesARestartAndOnlyNewSnapshotsAreRead() {
    Instant t0 = Instant.parse("2026-11-25T10:00:00Z");
    FeatureTables.append(table, List.of(FeatureRows.row("a", 1, t0), FeatureRows.row("b", 2, t0)));
    assertThat(follower().runOnce()).isEqualTo(2);
    assertThat(follower().runOnce()).as("nothing new").isZero();

    FeatureTables.append(table, List.of(FeatureRows.row("c", 3, t0.plusSeconds(1))));
    SnapshotFollower restarted = follower();
    assertThat(restarted.runOnce()).as("only the new snapshot").isEqualTo(1);
    assertOnlineStoreEqualsTable();
  }

  @Test
  void checkpointExpiredFromHistoryTriggersAFullResync() {
    Instant t0 = Instant.parse("2026-11-25T10:00:00Z");
    FeatureTables.append(table, List.of(FeatureRows.row("a", 1, t0)));
    follower().runOnce();
    for (int i = 0; i < 3; i++) {
      FeatureTables.append(table, List.of(FeatureRows.row("n" + i, 10 + i, t0.plusSeconds(i + 1))));
    }
    table
        .expireSnapshots()
        .retainLast(1)
        .expireOlderThan(System.currentTimeMillis() + 1000)
        .commit();
    table.refresh();
    assertThat(table.snapshots()).hasSize(1);

    double resyncsBefore = meters.counter("featurestore.replicator.full.resyncs").count();
    assertThat(follower().runOnce())
        .as("every live row, re-read from the current snapshot")
        .isEqualTo(4);
    assertThat(meters.counter("featurestore.replicator.full.resyncs").count())
        .isEqualTo(resyncsBefore + 1);
    assertOnlineStoreEqualsTable();
  }

  @Test
  void idsErasedInSnapshotsThatExpiredUnreadAreNotServedAfterTheResync() {
    Instant t0 = Instant.parse("2026-11-25T10:00:00Z");
    FeatureTables.append(
        table, List.of(FeatureRows.row("kept", 1, t0), FeatureRows.row("erased", 2, t0)));
    SnapshotFollower follower = follower();
    follower.runOnce();
    long before = new OnlineStoreGeneration(client, keys, 2000).published().orElseThrow();
    assertThat(online("erased")).isNotNull();

    // while the replicator is away: a tombstone, then its snapshot (and the checkpoint's) expire
    FeatureTables.eraseAndAppend(
        table, List.of("erased"), List.of(FeatureRows.row("new", 3, t0.plusSeconds(1))));
    FeatureTables.append(table, List.of(FeatureRows.row("later", 4, t0.plusSeconds(2))));
    table
        .expireSnapshots()
        .retainLast(1)
        .expireOlderThan(System.currentTimeMillis() + 1000)
        .commit();

    assertThat(follower.runOnce()).as("every live row, into a new generation").isEqualTo(3);
    long after = new OnlineStoreGeneration(client, keys, 2000).published().orElseThrow();
    assertThat(after).isGreaterThan(before);
    assertThat(checkpoints.load(table.name()).generation()).isEqualTo(after);
    assertThat(meters.get("featurestore.replicator.generation").gauge().value())
        .isEqualTo((double) after);
    assertOnlineStoreEqualsTable("erased");
    // the old generation still holds the erased id: readers no longer look there
    assertThat(client.get(keys.inGeneration(before).keyFor("erased"), MemcachedClients.RAW_BYTES))
        .isNotNull();
  }

  @Test
  void aFullResyncRetriedAfterMemcachedFailedRefillsTheSameGeneration() {
    FeatureTables.append(
        table, List.of(FeatureRows.row("a", 1, Instant.parse("2026-11-25T10:00:00Z"))));
    SnapshotFollower follower = follower();
    memcached.stop();
    try {
      assertThat(follower.runOnce()).isZero();
      assertThat(follower.runOnce()).isZero();
    } finally {
      memcached.restart();
    }
    long written = 0;
    for (int attempt = 0; attempt < 100 && written == 0; attempt++) {
      written = follower.runOnce();
      sleep(100);
    }
    assertThat(written).isEqualTo(1);
    assertThat(new OnlineStoreGeneration(client, keys, 2000).published())
        .as("one generation claimed for all attempts")
        .hasValue(1);
    assertOnlineStoreEqualsTable();
  }

  @Test
  void aServerWhoseSentinelLagsTheCheckpointIsRepublishedAndAnEmptyTablePublishesAGeneration() {
    assertThat(follower().runOnce()).as("an empty table").isZero();
    OnlineStoreGeneration generation = new OnlineStoreGeneration(client, keys, 2000);
    long first = generation.published().orElseThrow();
    assertThat(checkpoints.load(table.name())).isEqualTo(Checkpoint.of(null, first));

    // a publish that failed half-way leaves an older generation in the sentinel: the next cycle
    // repairs it
    generation.publish(generation.servers(), first - 1);
    FeatureTables.append(
        table, List.of(FeatureRows.row("a", 1, Instant.parse("2026-11-25T10:00:00Z"))));
    assertThat(follower().runOnce()).isEqualTo(1);
    assertThat(generation.published()).hasValue(first);
    assertThat(meters.counter("featurestore.replicator.full.resyncs").count()).isEqualTo(1);
    assertOnlineStoreEqualsTable();
  }

  @Test
  void failedWritesLeaveTheCheckpointSoTheRangeIsRetried() {
    Instant t0 = Instant.parse("2026-11-25T10:00:00Z");
    FeatureTables.append(table, List.of(FeatureRows.row("a", 1, t0)));
    follower().runOnce();
    Checkpoint before = checkpoints.load(table.name());
    FeatureTables.append(table, List.of(FeatureRows.row("b", 2, t0.plusSeconds(1))));

    memcached.stop();
    try {
      assertThat(follower().runOnce()).isZero();
      assertThat(meters.counter("featurestore.replicator.cycle.failures").count()).isEqualTo(1);
      assertThat(checkpoints.load(table.name())).isEqualTo(before);
    } finally {
      memcached.restart();
    }

    // the restarted server is empty: it is re-warmed from the checkpoint ("a"), then the range
    // after it ("b")
    long written = 0;
    for (int attempt = 0; attempt < 100 && written == 0; attempt++) {
      written = follower().runOnce();
      sleep(100);
    }
    assertThat(written).isEqualTo(2);
    assertThat(meters.counter("featurestore.replicator.rewarms").count()).isEqualTo(1);
    assertOnlineStoreEqualsTable();
    assertThat(checkpoints.load(table.name()).snapshotId())
        .hasValue(table.currentSnapshot().snapshotId());
  }

  private SnapshotFollower follower() {
    return follower(checkpoints, meters);
  }

  private SnapshotFollower follower(
      JdbcReplicationState state, io.micrometer.core.instrument.MeterRegistry registry) {
    return new SnapshotFollower(
        table,
        table.name(),
        () -> new OnlineStoreWriter(client, keys, 100, 2000),
        new OnlineStoreSentinels(client, keys, 2000),
        state,
        state,
        registry);
  }

  private JdbcReplicationState state(String owner, Duration leaseTtl) {
    com.zaxxer.hikari.HikariDataSource pool =
        JdbcReplicationState.pooledDataSource(
            stateProperties.get(CatalogProperties.URI),
            stateProperties.get("jdbc.user"),
            stateProperties.get("jdbc.password"));
    statePools.add(pool);
    return new JdbcReplicationState(pool, owner, leaseTtl, java.time.Clock.systemUTC());
  }

  /**
   * The keys of the generation readers use (generation 0 when the test wrote without a replicator).
   */
  private MemcachedKeyScheme served(MemcachedClient memcachedClient) {
    return keys.inGeneration(
        new OnlineStoreGeneration(memcachedClient, keys, 2000).published().orElse(0));
  }

  /** What the API would serve: null for an absent or erased id. */
  private OnlineFeature online(String docId) {
    byte[] value = client.get(served(client).keyFor(docId), MemcachedClients.RAW_BYTES);
    return value == null || OnlineFeatureCodec.isErased(value)
        ? null
        : OnlineFeatureCodec.decode(value);
  }

  /**
   * Every doc id of an independent read of the table (Iceberg's generic reader, deletes applied) is
   * in memcached with its newest row, and every erased id is not.
   */
  private void assertOnlineStoreEqualsTable(String... erasedIds) {
    table.refresh();
    Map<String, FeatureRow> expected = new LinkedHashMap<>();
    try (CloseableIterable<Record> records = IcebergGenerics.read(table).build()) {
      for (Record record : records) {
        FeatureRow row = FeatureTable.fromRecord(record);
        expected.merge(
            row.docId(),
            row,
            (old, candidate) ->
                candidate.processedAt().isBefore(old.processedAt()) ? old : candidate);
      }
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
    List<String> deleted =
        expected.values().stream().filter(FeatureRow::deleted).map(FeatureRow::docId).toList();
    deleted.forEach(
        id -> assertThat(online(id)).as("%s: its newest row is a deletion", id).isNull());
    expected.keySet().removeAll(deleted);
    MemcachedKeyScheme served = served(client);
    Map<String, byte[]> bulk =
        client.getBulk(
            expected.keySet().stream().map(served::keyFor).toList(), MemcachedClients.RAW_BYTES);
    assertThat(bulk).hasSize(expected.size());
    expected.forEach(
        (docId, row) ->
            assertThat(OnlineFeatureCodec.decode(bulk.get(served.keyFor(docId))).row())
                .as(docId)
                .isEqualTo(row));
    for (String erased : erasedIds) {
      assertThat(expected).doesNotContainKey(erased);
      assertThat(online(erased)).as("erased %s", erased).isNull();
    }
  }

  private static void sleep(long millis) {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
