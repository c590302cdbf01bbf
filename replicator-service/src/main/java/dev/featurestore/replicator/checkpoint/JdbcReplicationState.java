package dev.featurestore.replicator.checkpoint;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Clock;
import java.time.Duration;
import java.util.Locale;
import java.util.OptionalLong;
import java.util.Set;
import javax.sql.DataSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The replicators' shared state in the catalog's own database (SQLite locally, PostgreSQL in
 * compose): the checkpoint of each table and a lease that makes one replicator active and the
 * others standbys.
 *
 * <p>The lease is a row {@code (table, owner, expires_at)}, taken with one conditional UPDATE
 * (free, expired, or already ours) or a first INSERT. The checkpoint only moves while its writer
 * holds an unexpired lease: the UPDATE that moves it carries the lease condition, so a replicator
 * that lost the lease (paused, partitioned) cannot move the checkpoint past the new leader's,
 * whatever it wrote meanwhile. Portable SQL: both statements are single atomic statements on SQLite
 * and PostgreSQL.
 *
 * <p>Every time in these rows is the database's: expiry is computed and compared by the database's
 * clock inside the statements, never by a replicator's, so a replicator whose clock is off by more
 * than the TTL can neither take a live lease (its "now" would call it expired) nor keep one past
 * its TTL (its renewals would date the expiry in the future). Its own clock is only compared with
 * the database's, as {@link #clockSkew()}, for operators (the table maintenance it runs dates
 * snapshots by it). Connections come from a small pool: the state is read every cycle and the lease
 * renewed twice a TTL, which would otherwise be a new database session each time (a PostgreSQL
 * backend process).
 *
 * <p>The checkpoint row also holds the key generation readers use and a counter of claimed
 * generations: a full resync claims a fresh number (an increment under the lease, in its own
 * transaction) before it writes a key, so no two resyncs ever share a generation.
 */
public final class JdbcReplicationState implements CheckpointStore, Leadership {

  private static final String CHECKPOINTS = "featurestore_replicator_checkpoint";
  private static final String LEASES = "featurestore_replicator_lease";
  private static final long NO_SNAPSHOT = -1;
  private static final Logger LOG = LoggerFactory.getLogger(JdbcReplicationState.class);

  private final DataSource dataSource;
  private final String owner;
  private final long ttlMillis;
  private final Clock clock;

  /** The database's current time in epoch milliseconds, as an SQL expression of its dialect. */
  private final String now;

  private final String leaseHeld;
  private volatile long skewMillis;
  private volatile boolean skewReported;

  /**
   * @param dataSource the state database (see {@link #pooledDataSource}); it must be PostgreSQL or
   *     SQLite
   * @param clock this replicator's clock, only compared with the database's ({@link #clockSkew()})
   */
  public JdbcReplicationState(DataSource dataSource, String owner, Duration leaseTtl, Clock clock) {
    this.dataSource = dataSource;
    this.owner = owner;
    this.ttlMillis = leaseTtl.toMillis();
    this.clock = clock;
    this.now = databaseNow(dataSource);
    this.leaseHeld =
        "EXISTS (SELECT 1 FROM "
            + LEASES
            + " WHERE table_name = ? AND owner = ? AND expires_at > "
            + now
            + ")";
    createTables();
  }

  /** A small pool for the state database at {@code url}; close it after the state. */
  public static HikariDataSource pooledDataSource(String url, String user, String password) {
    HikariConfig config = new HikariConfig();
    config.setJdbcUrl(url);
    config.setUsername(user);
    config.setPassword(password);
    config.setPoolName("replicator-state");
    // the replication loop, the lease renewal and maintenance: at most three statements at once
    config.setMaximumPoolSize(3);
    config.setMinimumIdle(1);
    // a database that does not answer fails a cycle (retried) rather than hanging it
    config.setConnectionTimeout(5_000);
    return new HikariDataSource(config);
  }

  /**
   * This replicator's clock minus the database's, as last measured at a lease renewal (zero before
   * the first). Leases do not depend on it; snapshot ages in table maintenance do.
   */
  public Duration clockSkew() {
    return Duration.ofMillis(skewMillis);
  }

  private static String databaseNow(DataSource dataSource) {
    try (Connection connection = dataSource.getConnection()) {
      String product = connection.getMetaData().getDatabaseProductName();
      return switch (product.toLowerCase(Locale.ROOT)) {
        case "postgresql" -> "CAST(EXTRACT(EPOCH FROM clock_timestamp()) * 1000 AS BIGINT)";
        // julianday('now') has millisecond precision; 2440587.5 is the Julian day of the Unix epoch
        case "sqlite" -> "CAST(ROUND((julianday('now') - 2440587.5) * 86400000.0) AS INTEGER)";
        default ->
            throw new IllegalStateException(
                "The replicator state needs PostgreSQL or SQLite (set featurestore.replicator.checkpoint-jdbc-url), not "
                    + product);
      };
    } catch (SQLException e) {
      throw new IllegalStateException("Cannot reach the replicator state database", e);
    }
  }

  @Override
  public String owner() {
    return owner;
  }

  private void createTables() {
    try (Connection connection = connect();
        Statement statement = connection.createStatement()) {
      statement.execute(
          "CREATE TABLE IF NOT EXISTS "
              + CHECKPOINTS
              + " (table_name VARCHAR(512) PRIMARY KEY, snapshot_id BIGINT NOT NULL, updated_at BIGINT NOT NULL,"
              + " generation BIGINT NOT NULL DEFAULT 0, claimed_generation BIGINT NOT NULL DEFAULT 0)");
      statement.execute(
          "CREATE TABLE IF NOT EXISTS "
              + LEASES
              + " (table_name VARCHAR(512) PRIMARY KEY, owner VARCHAR(512) NOT NULL, expires_at BIGINT NOT NULL)");
      addGenerationColumnsToOlderTables(connection);
    } catch (SQLException e) {
      throw new IllegalStateException("Cannot create the replicator state tables", e);
    }
  }

  /**
   * Checkpoints written before generations existed keep generation 0: their first cycle is a full
   * resync.
   */
  private static void addGenerationColumnsToOlderTables(Connection connection) throws SQLException {
    for (String column : Set.of("generation", "claimed_generation")) {
      try (Statement probe = connection.createStatement()) {
        probe.executeQuery("SELECT " + column + " FROM " + CHECKPOINTS + " WHERE 1 = 0").close();
      } catch (SQLException missing) {
        try (Statement alter = connection.createStatement()) {
          alter.execute(
              "ALTER TABLE "
                  + CHECKPOINTS
                  + " ADD COLUMN "
                  + column
                  + " BIGINT NOT NULL DEFAULT 0");
        } catch (SQLException raced) {
          // another replicator starting at the same time added it first: fine if it is there now
          try (Statement probe = connection.createStatement()) {
            probe
                .executeQuery("SELECT " + column + " FROM " + CHECKPOINTS + " WHERE 1 = 0")
                .close();
          }
        }
      }
    }
  }

  @Override
  public Checkpoint load(String table) {
    try (Connection connection = connect();
        PreparedStatement select =
            connection.prepareStatement(
                "SELECT snapshot_id, generation FROM " + CHECKPOINTS + " WHERE table_name = ?")) {
      select.setString(1, table);
      try (ResultSet rows = select.executeQuery()) {
        if (!rows.next()) {
          return Checkpoint.NONE;
        }
        long snapshotId = rows.getLong(1);
        return Checkpoint.of(snapshotId == NO_SNAPSHOT ? null : snapshotId, rows.getLong(2));
      }
    } catch (SQLException e) {
      throw new IllegalStateException("Cannot read checkpoint of " + table, e);
    }
  }

  @Override
  public boolean save(String table, Checkpoint expected, Checkpoint next) {
    // the row exists: the first checkpoint follows the first generation claim, which creates it
    try (Connection connection = connect()) {
      try (PreparedStatement update =
          connection.prepareStatement(
              "UPDATE "
                  + CHECKPOINTS
                  + " SET snapshot_id = ?, generation = ?, updated_at = "
                  + now
                  + " WHERE table_name = ?"
                  + " AND snapshot_id = ? AND generation = ? AND "
                  + leaseHeld)) {
        update.setLong(1, next.snapshotId().orElse(NO_SNAPSHOT));
        update.setLong(2, next.generation());
        update.setString(3, table);
        update.setLong(4, expected.snapshotId().orElse(NO_SNAPSHOT));
        update.setLong(5, expected.generation());
        bindLease(update, 6, table);
        return update.executeUpdate() == 1;
      }
    } catch (SQLException e) {
      throw new IllegalStateException("Cannot save checkpoint " + next + " of " + table, e);
    }
  }

  @Override
  public OptionalLong claimGeneration(String table) {
    try (Connection connection = connect()) {
      ensureRow(connection, table);
      connection.setAutoCommit(false);
      try {
        try (PreparedStatement claim =
            connection.prepareStatement(
                "UPDATE "
                    + CHECKPOINTS
                    + " SET claimed_generation = claimed_generation + 1 WHERE table_name = ? AND "
                    + leaseHeld)) {
          claim.setString(1, table);
          bindLease(claim, 2, table);
          if (claim.executeUpdate() != 1) {
            connection.rollback();
            return OptionalLong.empty();
          }
        }
        long claimed;
        try (PreparedStatement select =
            connection.prepareStatement(
                "SELECT claimed_generation FROM " + CHECKPOINTS + " WHERE table_name = ?")) {
          select.setString(1, table);
          try (ResultSet rows = select.executeQuery()) {
            rows.next();
            claimed = rows.getLong(1);
          }
        }
        connection.commit();
        return OptionalLong.of(claimed);
      } catch (SQLException e) {
        connection.rollback();
        throw e;
      } finally {
        // the connection goes back to the pool
        connection.setAutoCommit(true);
      }
    } catch (SQLException e) {
      throw new IllegalStateException("Cannot claim a generation for " + table, e);
    }
  }

  /**
   * The row of a table's first claim: no snapshot, generation 0 (only while this replicator leads).
   */
  private void ensureRow(Connection connection, String table) throws SQLException {
    try (PreparedStatement insert =
        connection.prepareStatement(
            "INSERT INTO "
                + CHECKPOINTS
                + " (table_name, snapshot_id, updated_at, generation, claimed_generation)"
                + " SELECT ?, ?, "
                + now
                + ", 0, 0 WHERE "
                + leaseHeld
                + " AND NOT EXISTS (SELECT 1 FROM "
                + CHECKPOINTS
                + " WHERE table_name = ?)")) {
      insert.setString(1, table);
      insert.setLong(2, NO_SNAPSHOT);
      bindLease(insert, 3, table);
      insert.setString(5, table);
      insert.executeUpdate();
    }
  }

  @Override
  public boolean acquireOrRenew(String table) {
    long started = System.nanoTime();
    boolean held = takeLease(table);
    // the lease runs from about when the request was sent: a renewal that took its whole TTL (a
    // hung database) may
    // already have been taken over, so it does not count, and the replicator stops writing until
    // one answers in time
    return held && (System.nanoTime() - started) / 1_000_000 < ttlMillis;
  }

  private boolean takeLease(String table) {
    try (Connection connection = connect()) {
      measureSkew(connection);
      try (PreparedStatement update =
          connection.prepareStatement(
              "UPDATE "
                  + LEASES
                  + " SET owner = ?, expires_at = "
                  + now
                  + " + ? WHERE table_name = ? AND (owner = ? OR expires_at <= "
                  + now
                  + ")")) {
        update.setString(1, owner);
        update.setLong(2, ttlMillis);
        update.setString(3, table);
        update.setString(4, owner);
        if (update.executeUpdate() == 1) {
          return true;
        }
      }
      try (PreparedStatement insert =
          connection.prepareStatement(
              "INSERT INTO "
                  + LEASES
                  + " (table_name, owner, expires_at) SELECT ?, ?, "
                  + now
                  + " + ? WHERE NOT EXISTS (SELECT 1 FROM "
                  + LEASES
                  + " WHERE table_name = ?)")) {
        insert.setString(1, table);
        insert.setString(2, owner);
        insert.setLong(3, ttlMillis);
        insert.setString(4, table);
        return insert.executeUpdate() == 1;
      }
    } catch (SQLException e) {
      // a concurrent first INSERT (primary key) or a busy database: not the leader this time
      return false;
    }
  }

  @Override
  public void release(String table) {
    try (Connection connection = connect();
        PreparedStatement update =
            connection.prepareStatement(
                "UPDATE " + LEASES + " SET expires_at = 0 WHERE table_name = ? AND owner = ?")) {
      update.setString(1, table);
      update.setString(2, owner);
      update.executeUpdate();
    } catch (SQLException e) {
      // the lease expires by itself
    }
  }

  /** Compares this replicator's clock with the database's, halfway through the round trip. */
  private void measureSkew(Connection connection) throws SQLException {
    long before = clock.millis();
    long database;
    try (Statement select = connection.createStatement();
        ResultSet rows = select.executeQuery("SELECT " + now)) {
      rows.next();
      database = rows.getLong(1);
    }
    long local = before + (clock.millis() - before) / 2;
    skewMillis = local - database;
    boolean large = Math.abs(skewMillis) > ttlMillis / 2;
    if (large && !skewReported) {
      LOG.warn(
          "This replicator's clock is {} ms off the state database's: leases are unaffected (they use the database's clock),"
              + " but snapshot ages in table maintenance are dated by this clock",
          skewMillis);
    }
    skewReported = large;
  }

  private void bindLease(PreparedStatement statement, int first, String table) throws SQLException {
    statement.setString(first, table);
    statement.setString(first + 1, owner);
  }

  private Connection connect() throws SQLException {
    return dataSource.getConnection();
  }
}
