package dev.featurestore.replicator.checkpoint;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.OptionalLong;
import java.util.Properties;

/**
 * Keeps the checkpoint in a table of the catalog's own database (SQLite locally, PostgreSQL in compose), so it
 * survives restarts and is shared by every replicator that uses the same catalog.
 */
public final class JdbcCheckpointStore implements CheckpointStore {

  private static final String TABLE = "featurestore_replicator_checkpoint";

  private final String url;
  private final Properties credentials;

  public JdbcCheckpointStore(String url, String user, String password) {
    this.url = url;
    this.credentials = new Properties();
    if (user != null) {
      credentials.setProperty("user", user);
    }
    if (password != null) {
      credentials.setProperty("password", password);
    }
    createTable();
  }

  private void createTable() {
    try (Connection connection = connect();
        Statement statement = connection.createStatement()) {
      statement.execute(
          "CREATE TABLE IF NOT EXISTS " + TABLE
              + " (table_name VARCHAR(512) PRIMARY KEY, snapshot_id BIGINT NOT NULL, updated_at BIGINT NOT NULL)");
    } catch (SQLException e) {
      throw new IllegalStateException("Cannot create checkpoint table in " + url, e);
    }
  }

  @Override
  public OptionalLong load(String table) {
    try (Connection connection = connect();
        PreparedStatement select = connection.prepareStatement("SELECT snapshot_id FROM " + TABLE + " WHERE table_name = ?")) {
      select.setString(1, table);
      try (ResultSet rows = select.executeQuery()) {
        return rows.next() ? OptionalLong.of(rows.getLong(1)) : OptionalLong.empty();
      }
    } catch (SQLException e) {
      throw new IllegalStateException("Cannot read checkpoint of " + table, e);
    }
  }

  @Override
  public void save(String table, long snapshotId) {
    try (Connection connection = connect()) {
      try (PreparedStatement update =
          connection.prepareStatement("UPDATE " + TABLE + " SET snapshot_id = ?, updated_at = ? WHERE table_name = ?")) {
        update.setLong(1, snapshotId);
        update.setLong(2, System.currentTimeMillis());
        update.setString(3, table);
        if (update.executeUpdate() == 1) {
          return;
        }
      }
      try (PreparedStatement insert =
          connection.prepareStatement("INSERT INTO " + TABLE + " (table_name, snapshot_id, updated_at) VALUES (?, ?, ?)")) {
        insert.setString(1, table);
        insert.setLong(2, snapshotId);
        insert.setLong(3, System.currentTimeMillis());
        insert.executeUpdate();
      }
    } catch (SQLException e) {
      throw new IllegalStateException("Cannot save checkpoint " + snapshotId + " of " + table, e);
    }
  }

  private Connection connect() throws SQLException {
    return DriverManager.getConnection(url, credentials);
  }
}
