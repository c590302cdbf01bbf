package dev.featurestore.replicator;

import static org.assertj.core.api.Assertions.assertThat;

import dev.featurestore.api.FeatureRow;
import dev.featurestore.api.MemcachedKeyScheme;
import dev.featurestore.api.OnlineFeatureCodec;
import dev.featurestore.iceberg.CatalogSettings;
import dev.featurestore.iceberg.FeatureTable;
import dev.featurestore.iceberg.testing.FeatureTables;
import dev.featurestore.memcached.MemcachedClients;
import dev.featurestore.memcached.MemcachedSettings;
import dev.featurestore.memcached.OnlineStoreGeneration;
import dev.featurestore.memcached.testing.MemcachedServer;
import dev.featurestore.testing.FeatureRows;
import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import net.spy.memcached.MemcachedClient;
import org.apache.iceberg.CatalogProperties;
import org.apache.iceberg.Table;
import org.apache.iceberg.data.IcebergGenerics;
import org.apache.iceberg.data.Record;
import org.apache.iceberg.io.CloseableIterable;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Two replicator processes on one table: the active one is killed with SIGKILL in the middle of a
 * full resync; the standby takes over within the lease TTL, finishes the job, and the online store
 * equals the table.
 */
class FailoverIT {

  private static final Logger LOG = LoggerFactory.getLogger(FailoverIT.class);
  private static final int ROWS = 100_000;

  private final List<Process> replicators = new ArrayList<>();

  @AfterEach
  void stop() {
    replicators.forEach(Process::destroyForcibly);
  }

  @Test
  void standbyFinishesTheResyncOfAKilledLeader() throws Exception {
    Path stateDir = Files.createTempDirectory(Path.of("target"), "failover-");
    CatalogSettings settings = CatalogSettings.defaults();
    Table table = settings.featureTable(settings.load(stateDir));
    Instant t0 = Instant.parse("2026-11-25T10:00:00Z");
    for (int start = 0; start < ROWS; start += 50_000) {
      List<FeatureRow> rows = new ArrayList<>();
      for (int i = start; i < start + 50_000; i++) {
        rows.add(FeatureRows.row("f" + i, i, t0));
      }
      FeatureTables.append(table, rows);
    }
    String jdbc = settings.resolvedProperties(stateDir).get(CatalogProperties.URI);

    try (MemcachedServer memcached = MemcachedServer.start(512)) {
      replicators.add(start(stateDir, memcached, "r0"));
      replicators.add(start(stateDir, memcached, "r1"));
      String leader = awaitLeader(jdbc, null, Duration.ofSeconds(90));
      Thread.sleep(1500);
      assertThat(checkpoint(jdbc)).as("the leader is still in its first full resync").isNull();
      long killedAt = System.nanoTime();
      int victim = leader.equals("r0") ? 0 : 1;
      LOG.info(
          "kill -9 of the active replicator {} (pid {}) mid-resync",
          leader,
          replicators.get(victim).pid());
      replicators.get(victim).destroyForcibly().waitFor();

      String successor = awaitLeader(jdbc, leader, Duration.ofSeconds(10));
      long takeoverMillis = (System.nanoTime() - killedAt) / 1_000_000;
      LOG.info("{} took over {} ms after the kill", successor, takeoverMillis);
      assertThat(takeoverMillis).as("standby takes over within 10 s").isLessThan(10_000);

      table.refresh();
      long current = table.currentSnapshot().snapshotId();
      long deadline = System.nanoTime() + Duration.ofMinutes(2).toNanos();
      while (!Long.valueOf(current).equals(checkpoint(jdbc)) && System.nanoTime() < deadline) {
        Thread.sleep(200);
      }
      assertThat(checkpoint(jdbc)).as("the successor finished the resync").isEqualTo(current);
      assertOnlineStoreEqualsTable(table, memcached);
    }
  }

  private Process start(Path stateDir, MemcachedServer memcached, String id) throws Exception {
    String java =
        System.getProperty("java.home") + File.separator + "bin" + File.separator + "java";
    List<String> command =
        List.of(
            java,
            "-Xmx384m",
            "-XX:+UseSerialGC",
            "-cp",
            System.getProperty("java.class.path"),
            "dev.featurestore.replicator.ReplicatorApplication",
            "--server.port=0",
            "--featurestore.state-dir=" + stateDir.toAbsolutePath(),
            "--featurestore.memcached.servers=" + memcached.address(),
            "--featurestore.replicator.lease-ttl=3s",
            "--featurestore.replicator.instance-id=" + id);
    return new ProcessBuilder(command)
        .redirectErrorStream(true)
        .redirectOutput(
            ProcessBuilder.Redirect.appendTo(Path.of("target", "failover-" + id + ".log").toFile()))
        .start();
  }

  /** The lease owner once it is held (and is not {@code not}). */
  private static String awaitLeader(String jdbc, String not, Duration timeout) throws Exception {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (System.nanoTime() < deadline) {
      try (Connection connection = DriverManager.getConnection(jdbc);
          Statement statement = connection.createStatement()) {
        statement.execute(
            "CREATE TABLE IF NOT EXISTS featurestore_replicator_lease (table_name VARCHAR(512) PRIMARY KEY, owner VARCHAR(512) NOT NULL, expires_at BIGINT NOT NULL)");
        try (ResultSet rows =
            statement.executeQuery("SELECT owner, expires_at FROM featurestore_replicator_lease")) {
          if (rows.next()
              && !rows.getString(1).equals(not)
              && rows.getLong(2) > System.currentTimeMillis()) {
            return rows.getString(1);
          }
        }
      }
      Thread.sleep(50);
    }
    throw new AssertionError("no new leader within " + timeout);
  }

  private static Long checkpoint(String jdbc) throws Exception {
    try (Connection connection = DriverManager.getConnection(jdbc);
        Statement statement = connection.createStatement()) {
      statement.execute(
          "CREATE TABLE IF NOT EXISTS featurestore_replicator_checkpoint (table_name VARCHAR(512) PRIMARY KEY, snapshot_id BIGINT NOT NULL, updated_at BIGINT NOT NULL)");
      // -1: a resync claimed a generation but has not finished
      try (ResultSet rows =
          statement.executeQuery(
              "SELECT snapshot_id FROM featurestore_replicator_checkpoint WHERE snapshot_id <> -1")) {
        return rows.next() ? rows.getLong(1) : null;
      }
    }
  }

  private static void assertOnlineStoreEqualsTable(Table table, MemcachedServer memcached)
      throws Exception {
    Map<String, FeatureRow> expected = new HashMap<>();
    try (CloseableIterable<Record> records = IcebergGenerics.read(table).build()) {
      for (Record record : records) {
        FeatureRow row = FeatureTable.fromRecord(record);
        expected.put(row.docId(), row);
      }
    }
    MemcachedClient client =
        MemcachedClients.connect(
            new MemcachedSettings(List.of(memcached.address()), Duration.ofSeconds(10), null));
    try {
      MemcachedKeyScheme defaults = MemcachedKeyScheme.defaultScheme();
      long served = new OnlineStoreGeneration(client, defaults, 10_000).published().orElseThrow();
      assertThat(served)
          .as("the successor filled a generation of its own, not the dead leader's half-filled one")
          .isGreaterThan(1);
      MemcachedKeyScheme keys = defaults.inGeneration(served);
      List<String> ids = new ArrayList<>(expected.keySet());
      for (int start = 0; start < ids.size(); start += 1000) {
        List<String> chunk = ids.subList(start, Math.min(ids.size(), start + 1000));
        Map<String, byte[]> values =
            client.getBulk(chunk.stream().map(keys::keyFor).toList(), MemcachedClients.RAW_BYTES);
        for (String id : chunk) {
          byte[] value = values.get(keys.keyFor(id));
          assertThat(value).as("key of %s", id).isNotNull();
          assertThat(OnlineFeatureCodec.decode(value).row()).isEqualTo(expected.get(id));
        }
      }
    } finally {
      client.shutdown();
    }
    assertThat(expected).hasSize(ROWS);
  }
}
