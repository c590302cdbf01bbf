package dev.featurestore.replicator;

import static org.assertj.core.api.Assertions.assertThat;

import dev.featurestore.common.testing.MemcachedServer;
import dev.featurestore.common.testing.PostgresServer;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.function.Predicate;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.boot.web.server.context.WebServerApplicationContext;
import org.springframework.context.ConfigurableApplicationContext;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * The replicator as compose deploys it (catalog and lease in PostgreSQL, memcached): its readiness follows the
 * catalog database and memcached going away and coming back, and the process keeps running meanwhile.
 */
class ReplicatorReadinessIT {

  private static final JsonMapper JSON = JsonMapper.builder().build();

  private final HttpClient http = HttpClient.newHttpClient();

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
      String base = "http://127.0.0.1:" + ((WebServerApplicationContext) replicator).getWebServer().getPort();
      JsonNode ready = awaitReadiness(base, 200, body -> true);
      assertThat(ready.at("/components/catalog/status").asString()).isEqualTo("UP");
      assertThat(ready.at("/components/catalog/details/table").asString()).isEqualTo("featurestore.document_embeddings");
      assertThat(ready.at("/components/memcached/status").asString()).isEqualTo("UP");

      postgres.stop();
      JsonNode noCatalog = awaitReadiness(base, 503, body -> "DOWN".equals(body.at("/components/catalog/status").asString()));
      assertThat(noCatalog.at("/components/memcached/status").asString()).isEqualTo("UP");
      assertThat(get(base + "/actuator/health/liveness").statusCode()).isEqualTo(200);
      postgres.restart();
      awaitReadiness(base, 200, body -> true);

      memcached.stop();
      awaitReadiness(base, 503, body -> "DOWN".equals(body.at("/components/memcached/status").asString()));
      memcached.restart();
      awaitReadiness(base, 200, body -> true);
    }
  }

  private JsonNode awaitReadiness(String base, int status, Predicate<JsonNode> condition) throws Exception {
    long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
    HttpResponse<String> response;
    do {
      response = get(base + "/actuator/health/readiness");
      if (response.statusCode() == status && condition.test(JSON.readTree(response.body()))) {
        return JSON.readTree(response.body());
      }
      Thread.sleep(200);
    } while (System.nanoTime() < deadline);
    throw new AssertionError("readiness did not become " + status + " as expected; last: " + response.statusCode() + " " + response.body());
  }

  private HttpResponse<String> get(String url) throws Exception {
    return http.send(HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(30)).GET().build(), HttpResponse.BodyHandlers.ofString());
  }
}
