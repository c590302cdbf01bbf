package dev.featurestore.replicator.checkpoint;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Clock;
import java.time.Duration;
import java.util.OptionalLong;
import java.util.Properties;
import java.util.Set;

/**
 * The replicators' shared state in the catalog's own database (SQLite locally, PostgreSQL in compose): the
 * checkpoint of each table and a lease that makes one replicator active and the others standbys.
 *
 * <p>The lease is a row {@code (table, owner, expires_at)}, taken with one conditional UPDATE (free, expired, or
 * already ours) or a first INSERT. The checkpoint only moves while its writer holds an unexpired lease: the UPDATE
 * that moves it carries the lease condition, so a replicator that lost the lease (paused, partitioned) cannot move
 * the checkpoint past the new leader's, whatever it wrote meanwhile. Portable SQL: both statements are single
 * atomic statements on SQLite and PostgreSQL.
 *
 * <p>The checkpoint row also holds the key generation readers use and a counter of claimed generations: a full
 * resync claims a fresh number (an increment under the lease, in its own transaction) before it writes a key, so no
 * two resyncs ever share a generation.
 */
public final class JdbcReplicationState implements CheckpointStore, Leadership {

  private static final String CHECKPOINTS = "featurestore_replicator_checkpoint";
  private static final String LEASES = "featurestore_replicator_lease";
  private static final long NO_SNAPSHOT = -1;
  private static final String LEASE_HELD = "EXISTS (SELECT 1 FROM " + LEASES + " WHERE table_name = ? AND owner = ? AND expires_at > ?)";

  private final String url;
  private final Properties credentials;
  private final String owner;
  private final long ttlMillis;
  private final Clock clock;

  public JdbcReplicationState(String url, String user, String password, String owner, Duration leaseTtl, Clock clock) {
    this.url = url;
    this.credentials = new Properties();
    if (user != null) {
      credentials.setProperty("user", user);
    }
    if (password != null) {
      credentials.setProperty("password", password);
    }
    this.owner = owner;
    this.ttlMillis = leaseTtl.toMillis();
    this.clock = clock;
    createTables();
  }

  @Override
  public String owner() {
    return owner;
  }

  private void createTables() {
    try (Connection connection = connect();
        Statement statement = connection.createStatement()) {
      statement.execute(
          "CREATE TABLE IF NOT EXISTS " + CHECKPOINTS
              + " (table_name VARCHAR(512) PRIMARY KEY, snapshot_id BIGINT NOT NULL, updated_at BIGINT NOT NULL,"
              + " generation BIGINT NOT NULL DEFAULT 0, claimed_generation BIGINT NOT NULL DEFAULT 0)");
      statement.execute(
          "CREATE TABLE IF NOT EXISTS " + LEASES
              + " (table_name VARCHAR(512) PRIMARY KEY, owner VARCHAR(512) NOT NULL, expires_at BIGINT NOT NULL)");
      addGenerationColumnsToOlderTables(connection);
    } catch (SQLException e) {
      throw new IllegalStateException("Cannot create replicator state tables in " + url, e);
    }
  }

  /** Checkpoints written before generations existed keep generation 0: their first cycle is a full resync. */
  private static void addGenerationColumnsToOlderTables(Connection connection) throws SQLException {
    for (String column : Set.of("generation", "claimed_generation")) {
      try (Statement probe = connection.createStatement()) {
        probe.executeQuery("SELECT " + column + " FROM " + CHECKPOINTS + " WHERE 1 = 0").close();
      } catch (SQLException missing) {
        try (Statement alter = connection.createStatement()) {
          alter.execute("ALTER TABLE " + CHECKPOINTS + " ADD COLUMN " + column + " BIGINT NOT NULL DEFAULT 0");
        } catch (SQLException raced) {
          // another replicator starting at the same time added it first: fine if it is there now
          try (Statement probe = connection.createStatement()) {
            probe.executeQuery("SELECT " + column + " FROM " + CHECKPOINTS + " WHERE 1 = 0").close();
          }
        }
      }
    }
  }

  @Override
  public Checkpoint load(String table) {
    try (Connection connection = connect();
        PreparedStatement select =
            connection.prepareStatement("SELECT snapshot_id, generation FROM " + CHECKPOINTS + " WHERE table_name = ?")) {
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
    long now = clock.millis();
    // the row exists: the first checkpoint follows the first generation claim, which creates it
    try (Connection connection = connect()) {
      try (PreparedStatement update =
          connection.prepareStatement(
              "UPDATE " + CHECKPOINTS + " SET snapshot_id = ?, generation = ?, updated_at = ? WHERE table_name = ?"
                  + " AND snapshot_id = ? AND generation = ? AND " + LEASE_HELD)) {
        update.setLong(1, next.snapshotId().orElse(NO_SNAPSHOT));
        update.setLong(2, next.generation());
        update.setLong(3, now);
        update.setString(4, table);
        update.setLong(5, expected.snapshotId().orElse(NO_SNAPSHOT));
        update.setLong(6, expected.generation());
        bindLease(update, 7, table, now);
        return update.executeUpdate() == 1;
      }
    } catch (SQLException e) {
      throw new IllegalStateException("Cannot save checkpoint " + next + " of " + table, e);
    }
  }

  @Override
  public OptionalLong claimGeneration(String table) {
    long now = clock.millis();
    try (Connection connection = connect()) {
      ensureRow(connection, table, now);
      connection.setAutoCommit(false);
      try {
        try (PreparedStatement claim =
            connection.prepareStatement(
                "UPDATE " + CHECKPOINTS + " SET claimed_generation = claimed_generation + 1 WHERE table_name = ? AND " + LEASE_HELD)) {
          claim.setString(1, table);
          bindLease(claim, 2, table, now);
          if (claim.executeUpdate() != 1) {
            connection.rollback();
            return OptionalLong.empty();
          }
        }
        long claimed;
        try (PreparedStatement select =
                connection.prepareStatement("SELECT claimed_generation FROM " + CHECKPOINTS + " WHERE table_name = ?")) {
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
      }
    } catch (SQLException e) {
      throw new IllegalStateException("Cannot claim a generation for " + table, e);
    }
  }

  /** The row of a table's first claim: no snapshot, generation 0 (only while this replicator leads). */
  private void ensureRow(Connection connection, String table, long now) throws SQLException {
    try (PreparedStatement insert =
        connection.prepareStatement(
            "INSERT INTO " + CHECKPOINTS + " (table_name, snapshot_id, updated_at, generation, claimed_generation)"
                + " SELECT ?, ?, ?, 0, 0 WHERE " + LEASE_HELD + " AND NOT EXISTS (SELECT 1 FROM " + CHECKPOINTS + " WHERE table_name = ?)")) {
      insert.setString(1, table);
      insert.setLong(2, NO_SNAPSHOT);
      insert.setLong(3, now);
      bindLease(insert, 4, table, now);
      insert.setString(7, table);
      insert.executeUpdate();
    }
  }

  @Override
  public boolean acquireOrRenew(String table) {
    long now = clock.millis();
    boolean held = takeLease(table, now);
    // the lease runs from `now`: a renewal that took its whole TTL (a hung database) may already have been taken
    // over, so it does not count, and the replicator stops writing until a renewal answers in time
    return held && clock.millis() - now < ttlMillis;
  }

  private boolean takeLease(String table, long now) {
    try (Connection connection = connect()) {
      try (PreparedStatement update =
          connection.prepareStatement(
              "UPDATE " + LEASES + " SET owner = ?, expires_at = ? WHERE table_name = ? AND (owner = ? OR expires_at <= ?)")) {
        update.setString(1, owner);
        update.setLong(2, now + ttlMillis);
        update.setString(3, table);
        update.setString(4, owner);
        update.setLong(5, now);
        if (update.executeUpdate() == 1) {
          return true;
        }
      }
      try (PreparedStatement insert =
          connection.prepareStatement(
              "INSERT INTO " + LEASES + " (table_name, owner, expires_at) SELECT ?, ?, ? WHERE NOT EXISTS (SELECT 1 FROM "
                  + LEASES + " WHERE table_name = ?)")) {
        insert.setString(1, table);
        insert.setString(2, owner);
        insert.setLong(3, now + ttlMillis);
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
        PreparedStatement update = connection.prepareStatement("UPDATE " + LEASES + " SET expires_at = 0 WHERE table_name = ? AND owner = ?")) {
      update.setString(1, table);
      update.setString(2, owner);
      update.executeUpdate();
    } catch (SQLException e) {
      // the lease expires by itself
    }
  }

  private void bindLease(PreparedStatement statement, int first, String table, long now) throws SQLException {
    statement.setString(first, table);
    statement.setString(first + 1, owner);
    statement.setLong(first + 2, now);
  }

  private Connection connect() throws SQLException {
    return DriverManager.getConnection(url, credentials);
  }
}
