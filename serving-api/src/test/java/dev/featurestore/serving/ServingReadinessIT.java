package dev.featurestore.serving;

import static org.assertj.core.api.Assertions.assertThat;

import dev.featurestore.memcached.testing.MemcachedServer;
import dev.featurestore.testing.Readiness;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;
import tools.jackson.databind.JsonNode;

/**
 * Readiness and the availability gauge follow real memcached servers going away and coming back,
 * with no request to the API in between (the background sentinel reads notice).
 */
@SpringBootTest(
    webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
    properties = {"spring.config.name=serving-api", "featurestore.http.port=0"})
class ServingReadinessIT {

  private static final MemcachedServer FIRST = MemcachedServer.start();
  private static final MemcachedServer SECOND = MemcachedServer.start();

  @LocalServerPort int port;

  @DynamicPropertySource
  static void properties(DynamicPropertyRegistry registry) {
    registry.add("featurestore.memcached.servers", () -> FIRST.address() + "," + SECOND.address());
    registry.add("featurestore.memcached.operation-timeout", () -> "200ms");
  }

  @AfterAll
  static void stopMemcached() {
    FIRST.close();
    SECOND.close();
  }

  @Test
  void readyWhileAnyServerAnswersAndDownWhenNoneDoes() throws Exception {
    JsonNode ready =
        readiness()
            .await(200, body -> body.at("/components/memcached/details/unavailable").isEmpty());
    assertThat(ready.get("status").asString()).isEqualTo("UP");
    assertThat(ready.at("/components/memcached/details/servers").propertyNames())
        .containsExactly(FIRST.address(), SECOND.address());
    assertThat(gaugeLine(SECOND.address())).endsWith(" 1.0");

    SECOND.stop();
    JsonNode degraded =
        readiness()
            .await(200, body -> body.at("/components/memcached/details/unavailable").size() == 1);
    assertThat(degraded.at("/components/memcached/details/unavailable/0").asString())
        .isEqualTo(SECOND.address());
    assertThat(gaugeLine(SECOND.address())).endsWith(" 0.0");
    assertThat(gaugeLine(FIRST.address())).endsWith(" 1.0");

    FIRST.stop();
    JsonNode down = readiness().await(503, body -> true);
    assertThat(down.get("status").asString()).isEqualTo("DOWN");
    // the process is fine: only readiness fails, so an orchestrator stops routing to it but does
    // not restart it
    assertThat(readiness().get("/actuator/health/liveness").statusCode()).isEqualTo(200);

    FIRST.restart();
    SECOND.restart();
    readiness().await(200, body -> body.at("/components/memcached/details/unavailable").isEmpty());
  }

  private Readiness readiness() {
    return Readiness.onPort(port);
  }

  private String gaugeLine(String server) throws Exception {
    return readiness()
        .get("/actuator/prometheus")
        .body()
        .lines()
        .filter(
            line ->
                line.startsWith("featurestore_memcached_available{")
                    && line.contains("server=\"" + server + "\""))
        .peek(
            line ->
                assertThat(line)
                    .contains(
                        "service=\"serving-api\"", "table=\"featurestore.document_embeddings\""))
        .findFirst()
        .orElseThrow(
            () -> new AssertionError("no featurestore_memcached_available gauge for " + server));
  }
}
