package dev.featurestore.replicator;

import static org.assertj.core.api.Assertions.assertThat;

import dev.featurestore.memcached.testing.MemcachedServer;
import dev.featurestore.testing.PostgresServer;
import dev.featurestore.testing.Readiness;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.boot.web.server.context.WebServerApplicationContext;
import org.springframework.context.ConfigurableApplicationContext;
import tools.jackson.databind.JsonNode;

/**
 * The replicator as compose deploys it (catalog and lease in PostgreSQL, memcached): its readiness
 * follows the catalog database and memcached going away and coming back, and the process keeps
 * running meanwhile.
 */
class ReplicatorReadinessIT {

  @Test
  void readinessFollowsTheCatalogDatabaseAndMemcached(@TempDir Path stateDir) throws Exception {
    try (PostgresServer postgres = PostgresServer.start();
        MemcachedServer memcached = MemcachedServer.start();
        ConfigurableApplicationContext replicator =
            ReplicatorApplication.builder()
                .run(
                    "--server.port=0",
                    "--featurestore.state-dir=" + stateDir,
                    "--featurestore.memcached.servers=" + memcached.address(),
                    "--featurestore.catalog.properties.uri=" + postgres.createDatabase(),
                    "--featurestore.catalog.properties.jdbc.user=" + PostgresServer.USER,
                    "--featurestore.catalog.properties.jdbc.password=" + PostgresServer.PASSWORD)) {
      Readiness readiness =
          Readiness.onPort(((WebServerApplicationContext) replicator).getWebServer().getPort());
      JsonNode ready = readiness.await(200, body -> true);
      assertThat(ready.at("/components/catalog/status").asString()).isEqualTo("UP");
      assertThat(ready.at("/components/catalog/details/table").asString())
          .isEqualTo("featurestore.document_embeddings");
      assertThat(ready.at("/components/memcached/status").asString()).isEqualTo("UP");

      postgres.stop();
      JsonNode noCatalog =
          readiness.await(
              503, body -> "DOWN".equals(body.at("/components/catalog/status").asString()));
      assertThat(noCatalog.at("/components/memcached/status").asString()).isEqualTo("UP");
      assertThat(readiness.get("/actuator/health/liveness").statusCode()).isEqualTo(200);
      postgres.restart();
      readiness.await(200, body -> true);

      memcached.stop();
      readiness.await(
          503, body -> "DOWN".equals(body.at("/components/memcached/status").asString()));
      memcached.restart();
      readiness.await(200, body -> true);
    }
  }
}
