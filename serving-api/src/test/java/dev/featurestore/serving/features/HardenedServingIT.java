package dev.featurestore.serving.features;

import static org.assertj.core.api.Assertions.assertThat;

import dev.featurestore.api.FeatureVersion;
import dev.featurestore.api.MemcachedKeyScheme;
import dev.featurestore.api.OnlineFeature;
import dev.featurestore.api.OnlineFeatureCodec;
import dev.featurestore.memcached.MemcachedClients;
import dev.featurestore.memcached.testing.MemcachedServer;
import dev.featurestore.testing.FeatureRows;
import io.micrometer.core.instrument.MeterRegistry;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import net.spy.memcached.MemcachedClient;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;
import tools.jackson.databind.json.JsonMapper;

/**
 * The serving API as a production deployment runs it: two memcached servers (consistent hashing),
 * API keys, and the hot-key cache on.
 */
@SpringBootTest(
    webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
    properties = {"spring.config.name=serving-api", "featurestore.http.port=0"})
class HardenedServingIT {

  private static final String KEY = "test-key-0123456789abcdef";
  private static final Duration STALENESS = Duration.ofMillis(400);
  private static final MemcachedServer FIRST = MemcachedServer.start();
  private static final MemcachedServer SECOND = MemcachedServer.start();
  private static final JsonMapper JSON = JsonMapper.builder().build();

  static {
    MemcachedServer.publishGeneration(3, FIRST, SECOND);
  }

  private final HttpClient http = HttpClient.newHttpClient();
  private final MemcachedKeyScheme keys = MemcachedKeyScheme.defaultScheme().inGeneration(3);

  @org.springframework.beans.factory.annotation.Value("${local.featurestore.http.port}")
  int port;

  @LocalServerPort int managementPort;
  @Autowired MemcachedClient memcached;
  @Autowired MeterRegistry meters;

  @DynamicPropertySource
  static void properties(DynamicPropertyRegistry registry) {
    registry.add("featurestore.memcached.servers", () -> FIRST.address() + "," + SECOND.address());
    registry.add("featurestore.memcached.operation-timeout", () -> "200ms");
    registry.add("featurestore.api-keys", () -> "another-key-fedcba9876543210," + KEY);
    registry.add("featurestore.hot-cache.staleness", () -> STALENESS.toMillis() + "ms");
  }

  @AfterAll
  static void stopMemcached() {
    FIRST.close();
    SECOND.close();
  }

  @Test
  void v1NeedsAValidApiKeyButHealthAndTheOpenApiDocumentDoNot() throws Exception {
    store("secret", 1);
    HttpResponse<String> none = send(HttpRequest.newBuilder(uri("/v1/features/secret")).GET());
    assertThat(none.statusCode()).isEqualTo(401);
    assertThat(none.headers().firstValue("Content-Type")).hasValue("application/problem+json");
    assertThat(none.headers().firstValue("WWW-Authenticate")).hasValue("Bearer");
    assertThat(JSON.readTree(none.body()).get("detail").stringValue()).contains("X-API-Key");

    assertThat(
            send(HttpRequest.newBuilder(uri("/v1/features/secret"))
                    .header("X-API-Key", KEY + "x")
                    .GET())
                .statusCode())
        .isEqualTo(401);
    assertThat(
            send(HttpRequest.newBuilder(uri("/v1/features/secret")).header("X-API-Key", KEY).GET())
                .statusCode())
        .isEqualTo(200);
    assertThat(
            send(HttpRequest.newBuilder(uri("/v1/features/secret"))
                    .header("Authorization", "Bearer " + KEY)
                    .GET())
                .statusCode())
        .isEqualTo(200);
    assertThat(
            send(HttpRequest.newBuilder(uri("/v1/features:batchGet"))
                    .header("Content-Type", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofString("{\"doc_ids\":[\"secret\"]}")))
                .statusCode())
        .isEqualTo(401);
    for (String sneaky :
        List.of(
            "/v1;x/features/secret",
            "/%761/features/secret",
            "/v1/features/../features/secret",
            "//v1/features/secret")) {
      assertThat(send(HttpRequest.newBuilder(uri(sneaky)).GET()).statusCode())
          .as(sneaky)
          .isIn(400, 401);
    }
    assertThat(send(HttpRequest.newBuilder(uri("/actuator/health")).GET()).statusCode())
        .isEqualTo(200);
    assertThat(send(HttpRequest.newBuilder(uri("/openapi.yaml")).GET()).statusCode())
        .isEqualTo(200);
    assertThat(
            meters.get("featurestore.serving.errors").tag("kind", "unauthorized").counter().count())
        .isGreaterThanOrEqualTo(3);
  }

  @Test
  void aHotIdIsServedFromMemoryForAtMostTheStalenessBound() throws Exception {
    store("hot", 1);
    assertThat(sequenceNumberOf("hot")).isEqualTo(1);
    store("hot", 2);
    long changedAt = System.nanoTime();
    long served = sequenceNumberOf("hot");
    long elapsedMillis = (System.nanoTime() - changedAt) / 1_000_000;
    if (elapsedMillis < STALENESS.toMillis() - 50) {
      assertThat(served).as("within the bound: the cached value").isEqualTo(1);
    }
    Thread.sleep(STALENESS.toMillis() + 50);
    assertThat(sequenceNumberOf("hot")).as("past the bound: never older than it").isEqualTo(2);
    assertThat(meters.get("featurestore.serving.hot.cache.hit.ratio").gauge().value())
        .isGreaterThan(0);

    // a miss is not cached: the id is servable as soon as it is written
    assertThat(get("/v1/features/cold").statusCode()).isEqualTo(404);
    store("cold", 5);
    assertThat(sequenceNumberOf("cold")).isEqualTo(5);
  }

  @Test
  void aPopularIdIsAnsweredWithTheSameBytesWhetherItsJsonIsWrittenOrKept() throws Exception {
    store("popular", 4);
    // a miss (written), a hit (written and kept), a hit (the kept bytes), all within the window
    String written = get("/v1/features/popular").body();
    String keeping = get("/v1/features/popular").body();
    HttpResponse<String> kept = get("/v1/features/popular");
    HttpResponse<String> batch =
        send(
            HttpRequest.newBuilder(uri("/v1/features:batchGet"))
                .header("X-API-Key", KEY)
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString("{\"doc_ids\":[\"popular\"]}")));

    assertThat(JSON.readTree(written).get("sequence_number").asLong()).isEqualTo(4);
    assertThat(keeping).isEqualTo(written);
    assertThat(kept.body()).isEqualTo(written);
    assertThat(kept.headers().firstValue("content-length"))
        .hasValue(Integer.toString(written.length()));
    assertThat(batch.body())
        .isEqualTo(
            "{\"results\":[{\"doc_id\":\"popular\",\"found\":true,\"feature\":"
                + written
                + "}],\"found\":1,\"missing\":0}");

    // the kept JSON lives no longer than its entry: a new version is served after the window
    store("popular", 5);
    Thread.sleep(STALENESS.toMillis() + 50);
    assertThat(sequenceNumberOf("popular")).isEqualTo(5);
  }

  @Test
  void losingOneOfTwoServersFailsOnlyItsShareFastAndItRecovers() throws Exception {
    List<String> onFirst = new ArrayList<>();
    List<String> onSecond = new ArrayList<>();
    for (int i = 0; i < 60; i++) {
      String id = "spread-" + i;
      store(id, 1);
      String server =
          memcached.getNodeLocator().getPrimary(keys.keyFor(id)).getSocketAddress().toString();
      (server.endsWith(":" + SECOND.port()) ? onSecond : onFirst).add(id);
    }
    assertThat(onFirst).isNotEmpty();
    assertThat(onSecond).isNotEmpty();

    SECOND.stop();
    try {
      // ids never read before, so the hot cache cannot answer for the lost server
      for (String id : onFirst) {
        assertThat(get("/v1/features/" + id).statusCode()).as(id).isEqualTo(200);
      }
      long start = System.nanoTime();
      HttpResponse<String> lost = get("/v1/features/" + onSecond.get(0));
      assertThat(lost.statusCode()).isEqualTo(503);
      assertThat(lost.headers().firstValue("Retry-After")).hasValue("1");
      assertThat((System.nanoTime() - start) / 1_000_000)
          .as("fast: no wait for a dead server")
          .isLessThan(2_000);
      // a batch needing the lost server fails too, instead of reading its ids from the other server
      // as misses
      HttpResponse<String> batch =
          send(
              HttpRequest.newBuilder(uri("/v1/features:batchGet"))
                  .header("X-API-Key", KEY)
                  .header("Content-Type", "application/json")
                  .POST(
                      HttpRequest.BodyPublishers.ofString(
                          "{\"doc_ids\":[\""
                              + onFirst.get(0)
                              + "\",\""
                              + onSecond.get(2)
                              + "\"]}")));
      assertThat(batch.statusCode()).isEqualTo(503);
      assertThat(batch.body()).contains(onSecond.get(2));
    } finally {
      SECOND.restart();
    }
    // the restarted server is empty: its ids are 404 (never stale) until the replicator re-warms
    // them
    String back = onSecond.get(1);
    int status = 0;
    for (int attempt = 0; attempt < 150 && status != 404; attempt++) {
      status = get("/v1/features/" + back).statusCode();
      Thread.sleep(100);
    }
    assertThat(status).isEqualTo(404);
    // the API reconnects in at most 1 s, the test's own spymemcached client may take longer
    for (int attempt = 0; ; attempt++) {
      try {
        store(back, 2);
        break;
      } catch (RuntimeException | java.util.concurrent.ExecutionException e) {
        if (attempt == 100) {
          throw e;
        }
        Thread.sleep(100);
      }
    }
    assertThat(sequenceNumberOf(back)).isEqualTo(2);
  }

  @Test
  void aLateAnswerIsServedUpToTheDeadlineAndAStalledServerIsA503AtIt() throws Exception {
    List<String> onFirst = new ArrayList<>();
    for (int i = 0; onFirst.size() < 4; i++) {
      String id = "late-" + i;
      if (memcached
          .getNodeLocator()
          .getPrimary(keys.keyFor(id))
          .getSocketAddress()
          .toString()
          .endsWith(":" + FIRST.port())) {
        store(id, 1);
        onFirst.add(id);
      }
    }
    double deadlinesBefore = errors("deadline_exceeded");

    // a stall shorter than the default deadline (1 s) is waited out: the answer comes late, not as
    // a 503 (the operation timeout here is 200 ms: it no longer decides)
    FIRST.pause();
    java.util.concurrent.CompletableFuture<HttpResponse<String>> late =
        http.sendAsync(
            HttpRequest.newBuilder(uri("/v1/features/" + onFirst.get(0)))
                .header("X-API-Key", KEY)
                .GET()
                .build(),
            HttpResponse.BodyHandlers.ofString());
    Thread.sleep(400);
    FIRST.resume();
    assertThat(late.get().statusCode()).as(late.get().body()).isEqualTo(200);

    // a client's own deadline: a stalled server is a 503 at it, not later and not at once
    FIRST.pause();
    HttpResponse<String> expired;
    long start = System.nanoTime();
    try {
      expired =
          send(
              HttpRequest.newBuilder(uri("/v1/features/" + onFirst.get(1)))
                  .header("X-API-Key", KEY)
                  .header(Deadline.HEADER, "150")
                  .GET());
    } finally {
      FIRST.resume();
    }
    long tookMillis = (System.nanoTime() - start) / 1_000_000;
    assertThat(expired.statusCode()).isEqualTo(503);
    assertThat(JSON.readTree(expired.body()).get("reason").asString())
        .isEqualTo("deadline_exceeded");
    assertThat(expired.body()).contains("deadline of 150 ms");
    assertThat(tookMillis).as("answered at the deadline").isBetween(150L, 1_000L);
    assertThat(errors("deadline_exceeded")).isEqualTo(deadlinesBefore + 1);

    // the server answers again by itself, and a bad deadline is the client's error
    assertThat(get("/v1/features/" + onFirst.get(2)).statusCode()).isEqualTo(200);
    HttpResponse<String> bad =
        send(
            HttpRequest.newBuilder(uri("/v1/features/" + onFirst.get(3)))
                .header("X-API-Key", KEY)
                .header(Deadline.HEADER, "soon")
                .GET());
    assertThat(bad.statusCode()).isEqualTo(400);
    assertThat(bad.body()).contains("X-Request-Deadline-Ms must be a whole number of milliseconds");
  }

  private double errors(String kind) {
    var counter = meters.find("featurestore.serving.errors").tag("kind", kind).counter();
    return counter == null ? 0 : counter.count();
  }

  private void store(String docId, long sequenceNumber) throws Exception {
    OnlineFeature feature =
        OnlineFeature.of(
            FeatureRows.row(docId, sequenceNumber, Instant.parse("2026-11-25T10:00:00Z")),
            FeatureVersion.of(100 + sequenceNumber, sequenceNumber));
    assertThat(
            memcached
                .set(
                    keys.keyFor(docId),
                    0,
                    OnlineFeatureCodec.encode(feature),
                    MemcachedClients.RAW_BYTES)
                .get())
        .isTrue();
  }

  private long sequenceNumberOf(String docId) throws Exception {
    HttpResponse<String> response = get("/v1/features/" + docId);
    assertThat(response.statusCode()).as(docId).isEqualTo(200);
    return JSON.readTree(response.body()).get("sequence_number").asLong();
  }

  private HttpResponse<String> get(String path) throws Exception {
    return send(HttpRequest.newBuilder(uri(path)).header("X-API-Key", KEY).GET());
  }

  private HttpResponse<String> send(HttpRequest.Builder request) throws Exception {
    return http.send(request.build(), HttpResponse.BodyHandlers.ofString());
  }

  /** Health and metrics are on the management port, the API on its own. */
  private URI uri(String path) {
    return URI.create(
        "http://127.0.0.1:" + (path.startsWith("/actuator") ? managementPort : port) + path);
  }
}
