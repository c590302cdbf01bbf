package dev.featurestore.replicator.checkpoint;

import static org.assertj.core.api.Assertions.assertThat;

import com.zaxxer.hikari.HikariDataSource;
import dev.featurestore.testing.PostgresServer;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalLong;
import javax.sql.DataSource;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The checkpoint and the lease on both databases we support, real ones: a SQLite file and a
 * PostgreSQL server. Time is the database's: the tests wait for a short TTL to pass, and skew the
 * replicators' own clocks.
 */
class JdbcReplicationStateIT {

  private static final String TABLE = "featurestore.document_embeddings";
  private static final Duration TTL = Duration.ofMillis(800);

  /** Far more than the TTL in both directions. */
  private static final Duration SKEW = Duration.ofHours(1);

  private static PostgresServer postgres;
  private static Path sqliteDir;

  private final List<HikariDataSource> pools = new ArrayList<>();

  @BeforeAll
  static void startDatabases() throws Exception {
    postgres = PostgresServer.start();
    sqliteDir = Files.createTempDirectory("replication-state");
  }

  @AfterAll
  static void stopDatabases() {
    postgres.close();
  }

  @AfterEach
  void closePools() {
    pools.forEach(HikariDataSource::close);
  }

  @ParameterizedTest
  @ValueSource(strings = {"sqlite", "postgresql"})
  void oneOwnerHoldsTheLeaseUntilItExpires(String database) throws Exception {
    DataSource db = database(database);
    JdbcReplicationState first = state(db, "first", Clock.systemUTC());
    JdbcReplicationState second = state(db, "second", Clock.systemUTC());
    assertThat(first.acquireOrRenew(TABLE)).isTrue();
    assertThat(second.acquireOrRenew(TABLE)).isFalse();
    assertThat(first.acquireOrRenew(TABLE)).as("renewed by its owner").isTrue();
    Thread.sleep(TTL.toMillis() + 100);
    assertThat(second.acquireOrRenew(TABLE)).as("expired").isTrue();
    assertThat(first.acquireOrRenew(TABLE)).isFalse();
  }

  @ParameterizedTest
  @ValueSource(strings = {"sqlite", "postgresql"})
  void aReplicatorWhoseClockIsAheadCannotTakeALiveLease(String database) {
    DataSource db = database(database);
    JdbcReplicationState leader = state(db, "leader", Clock.systemUTC());
    JdbcReplicationState ahead = state(db, "ahead", Clock.offset(Clock.systemUTC(), SKEW));
    assertThat(leader.acquireOrRenew(TABLE)).isTrue();
    // by its own clock the leader's lease ran out an hour ago
    assertThat(ahead.acquireOrRenew(TABLE))
        .as("a live lease taken by a clock an hour ahead")
        .isFalse();
    assertThat(ahead.claimGeneration(TABLE))
        .as("nor can it write under it")
        .isEqualTo(OptionalLong.empty());
    assertThat(leader.acquireOrRenew(TABLE)).isTrue();
    assertThat(ahead.clockSkew()).isBetween(SKEW.minusSeconds(5), SKEW.plusSeconds(5));
  }

  @ParameterizedTest
  @ValueSource(strings = {"sqlite", "postgresql"})
  void aReplicatorWhoseClockIsBehindCannotKeepALeasePastItsTtl(String database) throws Exception {
    DataSource db = database(database);
    JdbcReplicationState behind =
        state(db, "behind", Clock.offset(Clock.systemUTC(), SKEW.negated()));
    JdbcReplicationState standby = state(db, "standby", Clock.systemUTC());
    assertThat(behind.acquireOrRenew(TABLE)).isTrue();
    assertThat(behind.claimGeneration(TABLE)).as("the leader writes").isPresent();
    // it stops renewing (paused, partitioned): one TTL later by the database's clock the standby
    // takes over
    Thread.sleep(TTL.toMillis() + 100);
    assertThat(standby.acquireOrRenew(TABLE)).as("taken over after one TTL").isTrue();
    assertThat(behind.acquireOrRenew(TABLE))
        .as("its own clock says the standby's lease expired an hour ago")
        .isFalse();
    assertThat(behind.claimGeneration(TABLE)).isEqualTo(OptionalLong.empty());
    assertThat(behind.clockSkew())
        .isBetween(SKEW.negated().minusSeconds(5), SKEW.negated().plusSeconds(5));
  }

  @ParameterizedTest
  @ValueSource(strings = {"sqlite", "postgresql"})
  void aClockAheadCannotStretchItsLease(String database) throws Exception {
    DataSource db = database(database);
    JdbcReplicationState ahead = state(db, "ahead", Clock.offset(Clock.systemUTC(), SKEW));
    JdbcReplicationState standby = state(db, "standby", Clock.systemUTC());
    assertThat(ahead.acquireOrRenew(TABLE)).isTrue();
    assertThat(expiresInMillis(db))
        .as("the expiry is the database's now plus the TTL")
        .isBetween(0L, TTL.toMillis());
    Thread.sleep(TTL.toMillis() + 100);
    assertThat(standby.acquireOrRenew(TABLE))
        .as("taken over after one TTL, not after an hour")
        .isTrue();
  }

  @ParameterizedTest
  @ValueSource(strings = {"sqlite", "postgresql"})
  void theCheckpointMovesOnlyUnderTheLease(String database) {
    DataSource db = database(database);
    JdbcReplicationState leader = state(db, "leader", Clock.systemUTC());
    JdbcReplicationState other = state(db, "other", Clock.systemUTC());
    assertThat(leader.acquireOrRenew(TABLE)).isTrue();
    long generation = leader.claimGeneration(TABLE).orElseThrow();
    CheckpointStore.Checkpoint first = CheckpointStore.Checkpoint.of(42L, generation);
    assertThat(leader.save(TABLE, leader.load(TABLE), first)).isTrue();
    assertThat(other.save(TABLE, first, CheckpointStore.Checkpoint.of(43L, generation)))
        .as("no lease")
        .isFalse();
    assertThat(other.load(TABLE)).isEqualTo(first);
  }

  @ParameterizedTest
  @ValueSource(strings = {"sqlite", "postgresql"})
  void aRenewalThatTookItsWholeTtlDoesNotCount(String database) {
    DataSource db = database(database);
    assertThat(state(db, "owner", Clock.systemUTC()).acquireOrRenew(TABLE)).isTrue();
    JdbcReplicationState slow =
        state(slowConnections(db, TTL.plusMillis(100)), "owner", Clock.systemUTC());
    assertThat(slow.acquireOrRenew(TABLE))
        .as("the database answered after the lease ran out")
        .isFalse();
    assertThat(state(db, "owner", Clock.systemUTC()).acquireOrRenew(TABLE))
        .as("a renewal in time counts again")
        .isTrue();
  }

  private static JdbcReplicationState state(DataSource db, String owner, Clock clock) {
    return new JdbcReplicationState(db, owner, TTL, clock);
  }

  /** A fresh database of the kind, so tests do not share leases. */
  private DataSource database(String kind) {
    boolean sqlite = kind.equals("sqlite");
    String url =
        sqlite
            ? "jdbc:sqlite:" + sqliteDir.resolve(System.nanoTime() + ".db") + "?busy_timeout=5000"
            : postgres.createDatabase();
    HikariDataSource pool =
        JdbcReplicationState.pooledDataSource(
            url, sqlite ? null : PostgresServer.USER, sqlite ? null : PostgresServer.PASSWORD);
    pools.add(pool);
    return pool;
  }

  /**
   * Milliseconds from the database's now to the lease's expiry. The clock expressions are written
   * out here on purpose rather than taken from the class: an oracle of its own catches a wrong unit
   * or epoch in the class's.
   */
  private static long expiresInMillis(DataSource db) throws Exception {
    try (Connection connection = db.getConnection();
        Statement select = connection.createStatement()) {
      boolean sqlite = connection.getMetaData().getDatabaseProductName().equalsIgnoreCase("SQLite");
      String now =
          sqlite
              ? "CAST(ROUND((julianday('now') - 2440587.5) * 86400000.0) AS INTEGER)"
              : "CAST(EXTRACT(EPOCH FROM clock_timestamp()) * 1000 AS BIGINT)";
      try (ResultSet rows =
          select.executeQuery(
              "SELECT expires_at - " + now + " FROM featurestore_replicator_lease")) {
        rows.next();
        return rows.getLong(1);
      }
    }
  }

  /**
   * The same database, each connection handed out {@code delay} late (a database that answers too
   * slowly).
   */
  private static DataSource slowConnections(DataSource db, Duration delay) {
    return (DataSource)
        Proxy.newProxyInstance(
            DataSource.class.getClassLoader(),
            new Class<?>[] {DataSource.class},
            (proxy, method, args) -> {
              if (method.getName().equals("getConnection")) {
                Thread.sleep(delay.toMillis());
              }
              try {
                return method.invoke(db, args);
              } catch (InvocationTargetException e) {
                throw e.getCause();
              }
            });
  }
}
