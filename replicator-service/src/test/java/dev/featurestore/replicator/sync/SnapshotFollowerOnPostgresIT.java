package dev.featurestore.replicator.sync;

import dev.featurestore.iceberg.CatalogSettings;
import dev.featurestore.testing.PostgresServer;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

/**
 * Every test of {@link SnapshotFollowerIT} again with the Iceberg catalog and the replicator's
 * checkpoint and lease in a real PostgreSQL, as docker-compose.yml deploys them (a fresh database
 * per test).
 */
class SnapshotFollowerOnPostgresIT extends SnapshotFollowerIT {

  private static PostgresServer postgres;

  @BeforeAll
  static void startPostgres() {
    postgres = PostgresServer.start();
  }

  @AfterAll
  static void stopPostgres() {
    postgres.close();
  }

  @Override
  CatalogSettings catalogSettings() {
    return new CatalogSettings(
        null,
        null,
        Map.of(
            "uri",
            postgres.createDatabase(),
            "jdbc.user",
            PostgresServer.USER,
            "jdbc.password",
            PostgresServer.PASSWORD));
  }
}
