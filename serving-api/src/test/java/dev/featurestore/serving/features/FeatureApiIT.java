package dev.featurestore.serving.features;

import static org.assertj.core.api.Assertions.assertThat;

import dev.featurestore.api.FeatureVersion;
import dev.featurestore.api.MemcachedKeyScheme;
import dev.featurestore.api.OnlineFeature;
import dev.featurestore.api.OnlineFeatureCodec;
import dev.featurestore.memcached.MemcachedClients;
import dev.featurestore.memcached.OnlineStoreGeneration;
import dev.featurestore.memcached.testing.MemcachedServer;
import dev.featurestore.testing.FeatureRows;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import net.spy.memcached.MemcachedClient;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/** The serving API against a real memcached, including one that goes away and comes back. */
@SpringBootTest(
    webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
    properties = {"spring.config.name=serving-api", "featurestore.http.port=0"})
class FeatureApiIT {

  private static final MemcachedServer MEMCACHED = startWithGeneration(1);
  private static final JsonMapper JSON = JsonMapper.builder().build();
  private final HttpClient http = HttpClient.newHttpClient();

  @org.springframework.beans.factory.annotation.Value("${local.featurestore.http.port}")
  int port;

  @LocalServerPort int managementPort;
  @Autowired MemcachedClient memcached;
  @Autowired ServedGeneration served;
  @Autowired io.micrometer.core.instrument.MeterRegistry meters;

  @DynamicPropertySource
  static void memcachedProperties(DynamicPropertyRegistry registry) {
    registry.add("featurestore.memcached.servers", MEMCACHED::address);
    registry.add("featurestore.lookups.deadline", () -> "200ms");
    registry.add("featurestore.hot-cache.staleness", () -> "0ms");
  }

  /**
   * A memcached where a replicator has published generation {@code generation} (before the app
   * starts).
   */
  private static MemcachedServer startWithGeneration(long generation) {
    MemcachedServer server = MemcachedServer.start();
    MemcachedServer.publishGeneration(generation, server);
    return server;
  }

  @Test
  void aNewlyPublishedGenerationIsServedWithinItsRefreshInterval() throws Exception {
    store("switched");
    OnlineStoreGeneration generation =
        new OnlineStoreGeneration(memcached, MemcachedKeyScheme.defaultScheme(), 1000);
    long next = generation.published().getAsLong() + 1;
    // the next generation lacks "switched" (say it was erased while the replicator could not follow
    // the history)
    generation.publish(generation.servers(), next);
    long deadline = System.nanoTime() + 5_000_000_000L;
    int status = 200;
    while (status != 404 && System.nanoTime() < deadline) {
      status = get("/v1/features/switched").statusCode();
      Thread.sleep(20);
    }
    assertThat(status).as("served from the new generation").isEqualTo(404);
    assertThat(store("switched")).isNotNull();
    assertThat(get("/v1/features/switched").statusCode()).isEqualTo(200);
  }

  @AfterAll
  static void stopMemcached() {
    MEMCACHED.close();
  }

  @Test
  void storedFeatureIsServedAsJsonWithItsVersion() throws Exception {
    OnlineFeature feature = store("doc-1");
    HttpResponse<String> response = get("/v1/features/doc-1");
    assertThat(response.statusCode()).isEqualTo(200);
    JsonNode body = JSON.readTree(response.body());
    assertThat(body.get("doc_id").stringValue()).isEqualTo("doc-1");
    assertThat(body.get("model").stringValue()).isEqualTo(FeatureRows.TEST_MODEL.name());
    assertThat(body.get("sequence_number").asLong()).isEqualTo(7);
    assertThat(body.get("processed_at").stringValue())
        .isEqualTo(feature.row().processedAt().toString());
    float[] served = new float[body.get("embedding").size()];
    for (int i = 0; i < served.length; i++) {
      served[i] = Float.parseFloat(body.get("embedding").get(i).asString());
    }
    assertThat(served).containsExactly(feature.row().embedding());
  }

  @Test
  void idsThatNeedHashedKeysAreServedToo() throws Exception {
    // spaces and non-ASCII letters cannot be raw memcached keys: the key scheme hashes them
    String id = "Straße 12 ü €";
    assertThat(MemcachedKeyScheme.defaultScheme().keyFor(id)).startsWith("fs1#");
    store(id);
    HttpResponse<String> response = get("/v1/features/Stra%C3%9Fe%2012%20%C3%BC%20%E2%82%AC");
    assertThat(response.statusCode()).isEqualTo(200);
    assertThat(JSON.readTree(response.body()).get("doc_id").stringValue()).isEqualTo(id);
  }

  @Test
  void erasedIdIs404() throws Exception {
    store("gone");
    String key = publishedKeys().keyFor("gone");
    assertThat(
            memcached
                .set(
                    key,
                    0,
                    OnlineFeatureCodec.encodeErased("gone", FeatureVersion.of(43, 8)),
                    MemcachedClients.RAW_BYTES)
                .get())
        .isTrue();
    assertThat(get("/v1/features/gone").statusCode()).isEqualTo(404);
  }

  @Test
  void unknownIdIs404ProblemJson() throws Exception {
    HttpResponse<String> response = get("/v1/features/never-stored");
    assertThat(response.statusCode()).isEqualTo(404);
    assertThat(response.headers().firstValue("Content-Type")).hasValue("application/problem+json");
    assertThat(JSON.readTree(response.body()).get("doc_id").stringValue())
        .isEqualTo("never-stored");
  }

  @Test
  void invalidIdsAre400ProblemJsonNamingTheProblem() throws Exception {
    HttpResponse<String> control = get("/v1/features/a%0Db");
    assertThat(control.statusCode()).isEqualTo(400);
    assertThat(control.headers().firstValue("Content-Type")).hasValue("application/problem+json");
    assertThat(JSON.readTree(control.body()).get("reason").stringValue())
        .contains("control character U+000D");

    HttpResponse<String> tooLong = get("/v1/features/" + "y".repeat(513));
    assertThat(tooLong.statusCode()).isEqualTo(400);
    assertThat(JSON.readTree(tooLong.body()).get("detail").stringValue()).contains("513 bytes");
    assertThat(tooLong.body()).doesNotContain("Exception").doesNotContain("at dev.featurestore");
  }

  @Test
  void memcachedDownIsAFast503AndServiceRecoversWhenItReturns() throws Exception {
    store("survivor");
    MEMCACHED.stop();
    try {
      long start = System.nanoTime();
      HttpResponse<String> down = get("/v1/features/survivor");
      long tookMillis = (System.nanoTime() - start) / 1_000_000;
      assertThat(down.statusCode()).isEqualTo(503);
      assertThat(down.headers().firstValue("Content-Type")).hasValue("application/problem+json");
      assertThat(tookMillis).as("bounded by the operation timeout, not a hang").isLessThan(5_000);
    } finally {
      MEMCACHED.restart();
    }
    // the restarted server is empty; once reconnected the API answers again (404: no value yet)
    int status = 0;
    for (int attempt = 0; attempt < 150 && status != 404; attempt++) {
      status = get("/v1/features/survivor").statusCode();
      Thread.sleep(100);
    }
    assertThat(status).isEqualTo(404);
    // the API reconnects in at most 1 s, the test's own spymemcached client may take longer
    for (int attempt = 0; ; attempt++) {
      try {
        store("survivor");
        break;
      } catch (RuntimeException | java.util.concurrent.ExecutionException e) {
        if (attempt == 100) {
          throw e;
        }
        Thread.sleep(100);
      }
    }
    assertThat(get("/v1/features/survivor").statusCode()).isEqualTo(200);
  }

  @Test
  void batchGetAnswersEveryIdInRequestOrder() throws Exception {
    OnlineFeature a = store("batch-a");
    OnlineFeature b = store("batch b ü");
    HttpResponse<String> response =
        post(
            "/v1/features:batchGet",
            "{\"doc_ids\": [\"batch-a\", \"nowhere\", \"batch b ü\", \"batch-a\"]}");
    assertThat(response.statusCode()).isEqualTo(200);
    assertThat(response.headers().firstValue("Content-Type")).hasValue("application/json");
    JsonNode body = JSON.readTree(response.body());
    assertThat(body.get("found").asInt()).isEqualTo(3);
    assertThat(body.get("missing").asInt()).isEqualTo(1);
    JsonNode results = body.get("results");
    assertThat(results).hasSize(4);
    assertThat(results.get(0).get("doc_id").stringValue()).isEqualTo("batch-a");
    assertThat(results.get(0).get("found").asBoolean()).isTrue();
    assertThat(results.get(0).get("feature").get("sequence_number").asLong())
        .isEqualTo(a.version().sequenceNumber());
    assertThat(results.get(1).get("found").asBoolean()).isFalse();
    assertThat(results.get(1).has("feature")).isFalse();
    assertThat(results.get(2).get("feature").get("model").stringValue())
        .isEqualTo(b.row().model().name());
    assertThat(results.get(3).get("doc_id").stringValue()).isEqualTo("batch-a");
    assertThat(meters.get("featurestore.serving.batch.size").summary().max())
        .isGreaterThanOrEqualTo(4);
  }

  @Test
  void binaryRepresentationCarriesTheFloatsBitForBitForOneIdAndForABatch() throws Exception {
    OnlineFeature a = store("bin-a");
    HttpResponse<byte[]> single =
        http.send(
            HttpRequest.newBuilder(uri("/v1/features/bin-a"))
                .header("Accept", FeatureBodies.BINARY)
                .GET()
                .build(),
            HttpResponse.BodyHandlers.ofByteArray());
    assertThat(single.statusCode()).isEqualTo(200);
    assertThat(single.headers().firstValue("Content-Type")).hasValue(FeatureBodies.BINARY);
    List<BinaryEmbeddings.Result> one = BinaryEmbeddings.decode(single.body());
    assertThat(one)
        .singleElement()
        .satisfies(
            result -> {
              assertThat(result.docId()).isEqualTo("bin-a");
              assertThat(result.feature()).isEqualTo(a);
            });

    HttpResponse<byte[]> batch =
        http.send(
            HttpRequest.newBuilder(uri("/v1/features:batchGet"))
                .header("Content-Type", "application/json")
                .header("Accept", FeatureBodies.BINARY)
                .POST(
                    HttpRequest.BodyPublishers.ofString(
                        "{\"doc_ids\": [\"missing-bin\", \"bin-a\"]}"))
                .build(),
            HttpResponse.BodyHandlers.ofByteArray());
    assertThat(batch.statusCode()).isEqualTo(200);
    List<BinaryEmbeddings.Result> two = BinaryEmbeddings.decode(batch.body());
    assertThat(two).hasSize(2);
    assertThat(two.get(0).docId()).isEqualTo("missing-bin");
    assertThat(two.get(0).feature()).isNull();
    assertThat(two.get(1).feature()).isEqualTo(a);
    assertThat(batch.body().length)
        .as("binary is less than half the JSON")
        .isLessThan(
            post("/v1/features:batchGet", "{\"doc_ids\": [\"missing-bin\", \"bin-a\"]}")
                    .body()
                    .length()
                / 2);
  }

  @Test
  void badBatchesAreProblemsNamingWhatIsWrong() throws Exception {
    HttpResponse<String> empty = post("/v1/features:batchGet", "{\"doc_ids\": []}");
    assertThat(empty.statusCode()).isEqualTo(400);
    assertThat(empty.headers().firstValue("Content-Type")).hasValue("application/problem+json");
    assertThat(JSON.readTree(empty.body()).get("detail").stringValue()).contains("at least one");

    String tooMany =
        "{\"doc_ids\": [" + String.join(",", java.util.Collections.nCopies(101, "\"x\"")) + "]}";
    assertThat(
            JSON.readTree(post("/v1/features:batchGet", tooMany).body())
                .get("detail")
                .stringValue())
        .contains("101 ids, more than the limit of 100");

    HttpResponse<String> invalid =
        post("/v1/features:batchGet", "{\"doc_ids\": [\"ok\", \"bad\\nid\", \"  \"]}");
    assertThat(invalid.statusCode()).isEqualTo(400);
    JsonNode invalidIds = JSON.readTree(invalid.body()).get("invalid_doc_ids");
    assertThat(invalidIds).hasSize(2);
    assertThat(invalidIds.get(0).get("index").asInt()).isEqualTo(1);
    assertThat(invalidIds.get(0).get("reason").stringValue()).contains("control character U+000A");
    assertThat(invalidIds.get(1).get("index").asInt()).isEqualTo(2);

    HttpResponse<String> notJson = post("/v1/features:batchGet", "doc_ids=a");
    assertThat(notJson.statusCode()).isEqualTo(400);
    assertThat(JSON.readTree(notJson.body()).get("title").stringValue())
        .isEqualTo("Unreadable request body");
    assertThat(JSON.readTree(post("/v1/features:batchGet", "{}").body()).get("status").asInt())
        .isEqualTo(400);

    HttpResponse<String> wrongType =
        http.send(
            HttpRequest.newBuilder(uri("/v1/features:batchGet"))
                .header("Content-Type", "text/plain")
                .POST(HttpRequest.BodyPublishers.ofString("a"))
                .build(),
            HttpResponse.BodyHandlers.ofString());
    assertThat(wrongType.statusCode()).isEqualTo(415);
    assertThat(wrongType.headers().firstValue("Content-Type")).hasValue("application/problem+json");

    HttpResponse<String> wrongMethod = get("/v1/features:batchGet");
    assertThat(wrongMethod.statusCode()).isIn(404, 405);

    HttpResponse<String> notAcceptable =
        http.send(
            HttpRequest.newBuilder(uri("/v1/features/doc-1"))
                .header("Accept", "text/csv")
                .GET()
                .build(),
            HttpResponse.BodyHandlers.ofString());
    assertThat(notAcceptable.statusCode()).isEqualTo(406);
    assertThat(
            meters
                .get("featurestore.serving.errors")
                .tag("kind", "invalid_batch")
                .counter()
                .count())
        .isGreaterThanOrEqualTo(3);
  }

  @Test
  void bodiesOverTheLimitAre413EvenWhenChunked() throws Exception {
    String huge = "{\"doc_ids\": [\"" + "z".repeat(70_000) + "\"]}";
    HttpResponse<String> declared = post("/v1/features:batchGet", huge);
    assertThat(declared.statusCode()).isEqualTo(413);
    assertThat(declared.headers().firstValue("Content-Type")).hasValue("application/problem+json");

    byte[] bytes = huge.getBytes(java.nio.charset.StandardCharsets.UTF_8);
    HttpResponse<String> chunked =
        http.send(
            HttpRequest.newBuilder(uri("/v1/features:batchGet"))
                .header("Content-Type", "application/json")
                .POST(
                    HttpRequest.BodyPublishers.ofInputStream(
                        () -> new java.io.ByteArrayInputStream(bytes)))
                .build(),
            HttpResponse.BodyHandlers.ofString());
    assertThat(chunked.statusCode()).isEqualTo(413);
    assertThat(JSON.readTree(chunked.body()).get("title").stringValue())
        .isEqualTo("Request too large");
  }

  @Test
  void onlyHealthInfoPrometheusAndTheOpenApiDocumentAreExposed() throws Exception {
    assertThat(get("/actuator/health").statusCode()).isEqualTo(200);
    assertThat(get("/actuator/info").statusCode()).isEqualTo(200);
    store("metered");
    get("/v1/features/metered");
    String prometheus = get("/actuator/prometheus").body();
    assertThat(prometheus)
        .contains("featurestore_serving_lookups_total{result=\"found\"")
        .contains("http_server_requests_seconds_bucket")
        // the API's own port reports under the same name and tags as the management port's
        .contains("uri=\"/v1/features/{docId}\"")
        .contains("uri=\"/actuator/health\"")
        .contains("le=\"0.001\"");
    for (String hidden :
        List.of(
            "/actuator/env", "/actuator/beans", "/actuator/heapdump", "/actuator/configprops")) {
      assertThat(get(hidden).statusCode()).as(hidden).isEqualTo(404);
    }
    HttpResponse<String> openApi = get("/openapi.yaml");
    assertThat(openApi.statusCode()).isEqualTo(200);
    Map<String, Object> document = new org.yaml.snakeyaml.Yaml().load(openApi.body());
    @SuppressWarnings("unchecked")
    Map<String, Object> paths = (Map<String, Object>) document.get("paths");
    assertThat(paths)
        .containsOnlyKeys("/v1/features/{docId}", "/v1/features", "/v1/features:batchGet");
  }

  @Test
  void aStalledMemcachedGivesFast503sWithoutPilingUpThreadsAndServiceResumesWithIt()
      throws Exception {
    store("stalled");
    MEMCACHED.pause();
    try {
      java.util.concurrent.ExecutorService clients =
          java.util.concurrent.Executors.newFixedThreadPool(32);
      List<java.util.concurrent.Future<HttpResponse<String>>> answers = new java.util.ArrayList<>();
      long start = System.nanoTime();
      for (int i = 0; i < 200; i++) {
        answers.add(clients.submit(() -> get("/v1/features/stalled")));
      }
      for (java.util.concurrent.Future<HttpResponse<String>> answer : answers) {
        HttpResponse<String> response = answer.get();
        assertThat(response.statusCode()).isEqualTo(503);
        assertThat(JSON.readTree(response.body()).get("detail").stringValue())
            .matches(
                "online store unavailable: (memcached did not answer within the request's deadline of 200 ms|too many lookups are waiting for memcached; retry)");
      }
      long tookMillis = (System.nanoTime() - start) / 1_000_000;
      clients.shutdown();
      // 200 requests, 32 at a time, each bounded by the 200 ms deadline (or refused at once when
      // too many wait): no hang
      assertThat(tookMillis).as("200 lookups against a frozen memcached").isLessThan(10_000);
      double expired =
          meters
              .get("featurestore.serving.errors")
              .tag("kind", "deadline_exceeded")
              .counter()
              .count();
      var refused = meters.find("featurestore.serving.errors").tag("kind", "overloaded").counter();
      assertThat(expired + (refused == null ? 0 : refused.count())).isGreaterThanOrEqualTo(200);
    } finally {
      MEMCACHED.resume();
    }
    int status = 0;
    for (int attempt = 0; attempt < 100 && status != 200; attempt++) {
      status = get("/v1/features/stalled").statusCode();
      Thread.sleep(50);
    }
    assertThat(status).as("answers again once memcached does").isEqualTo(200);
  }

  /**
   * Stores a feature in the published generation (publishing generation 1 if memcached has none, as
   * after a restart).
   */
  private OnlineFeature store(String docId) throws Exception {
    OnlineFeature feature =
        OnlineFeature.of(
            FeatureRows.row(docId, docId.hashCode(), Instant.parse("2026-11-25T10:00:00.123456Z")),
            FeatureVersion.of(42, 7));
    String key = publishedKeys().keyFor(docId);
    assertThat(
            memcached
                .set(key, 0, OnlineFeatureCodec.encode(feature), MemcachedClients.RAW_BYTES)
                .get())
        .isTrue();
    return feature;
  }

  private MemcachedKeyScheme publishedKeys() {
    OnlineStoreGeneration generation =
        new OnlineStoreGeneration(memcached, MemcachedKeyScheme.defaultScheme(), 1000);
    if (generation.published().isEmpty()) {
      // memcached restarted: as the replicator would, publish the generation being served again
      generation.publish(generation.servers(), served.generation().orElse(1));
    }
    return MemcachedKeyScheme.defaultScheme().inGeneration(generation.published().getAsLong());
  }

  /** Health and metrics are on the management port, the API on its own. */
  private URI uri(String path) {
    return URI.create(
        "http://127.0.0.1:" + (path.startsWith("/actuator") ? managementPort : port) + path);
  }

  private HttpResponse<String> post(String path, String json) throws Exception {
    return http.send(
        HttpRequest.newBuilder(uri(path))
            .header("Content-Type", "application/json")
            .POST(HttpRequest.BodyPublishers.ofString(json))
            .build(),
        HttpResponse.BodyHandlers.ofString());
  }

  private HttpResponse<String> get(String path) throws Exception {
    return http.send(
        HttpRequest.newBuilder(uri(path)).GET().build(), HttpResponse.BodyHandlers.ofString());
  }
}
