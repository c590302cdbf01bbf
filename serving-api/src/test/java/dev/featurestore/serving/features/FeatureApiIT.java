package dev.featurestore.serving.features;

import static org.assertj.core.api.Assertions.assertThat;

import dev.featurestore.common.FeatureVersion;
import dev.featurestore.common.MemcachedClients;
import dev.featurestore.common.MemcachedKeyScheme;
import dev.featurestore.common.OnlineFeature;
import dev.featurestore.common.MemcachedSettings;
import dev.featurestore.common.OnlineFeatureCodec;
import dev.featurestore.common.OnlineStoreGeneration;
import dev.featurestore.common.testing.FeatureTables;
import dev.featurestore.common.testing.MemcachedServer;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
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
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT, properties = "spring.config.name=serving-api")
class FeatureApiIT {

  private static final MemcachedServer MEMCACHED = startWithGeneration(1);
  private static final JsonMapper JSON = JsonMapper.builder().build();
  private final HttpClient http = HttpClient.newHttpClient();

  @LocalServerPort int port;
  @Autowired MemcachedClient memcached;
  @Autowired ServedGeneration served;

  @DynamicPropertySource
  static void memcachedProperties(DynamicPropertyRegistry registry) {
    registry.add("featurestore.memcached.servers", MEMCACHED::address);
    registry.add("featurestore.memcached.operation-timeout", () -> "200ms");
  }

  /** A memcached where a replicator has published generation {@code generation} (before the app starts). */
  private static MemcachedServer startWithGeneration(long generation) {
    MemcachedServer server = MemcachedServer.start();
    MemcachedClient client = MemcachedClients.connect(new MemcachedSettings(List.of(server.address()), Duration.ofSeconds(2), null));
    try {
      OnlineStoreGeneration sentinels = new OnlineStoreGeneration(client, MemcachedKeyScheme.defaultScheme(), 2000);
      sentinels.publish(sentinels.servers(), generation);
    } finally {
      client.shutdown();
    }
    return server;
  }

  @Test
  void aNewlyPublishedGenerationIsServedWithinItsRefreshInterval() throws Exception {
    store("switched");
    OnlineStoreGeneration generation = new OnlineStoreGeneration(memcached, MemcachedKeyScheme.defaultScheme(), 1000);
    long next = generation.published().getAsLong() + 1;
    // the next generation lacks "switched" (say it was erased while the replicator could not follow the history)
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
    assertThat(body.get("model").stringValue()).isEqualTo(FeatureTables.TEST_MODEL.name());
    assertThat(body.get("sequence_number").asLong()).isEqualTo(7);
    assertThat(body.get("processed_at").stringValue()).isEqualTo(feature.row().processedAt().toString());
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
    assertThat(memcached.set(key, 0, OnlineFeatureCodec.encodeErased("gone", FeatureVersion.of(43, 8)), MemcachedClients.RAW_BYTES).get()).isTrue();
    assertThat(get("/v1/features/gone").statusCode()).isEqualTo(404);
  }

  @Test
  void unknownIdIs404ProblemJson() throws Exception {
    HttpResponse<String> response = get("/v1/features/never-stored");
    assertThat(response.statusCode()).isEqualTo(404);
    assertThat(response.headers().firstValue("Content-Type")).hasValue("application/problem+json");
    assertThat(JSON.readTree(response.body()).get("doc_id").stringValue()).isEqualTo("never-stored");
  }

  @Test
  void invalidIdsAre400ProblemJsonNamingTheProblem() throws Exception {
    HttpResponse<String> control = get("/v1/features/a%0Db");
    assertThat(control.statusCode()).isEqualTo(400);
    assertThat(control.headers().firstValue("Content-Type")).hasValue("application/problem+json");
    assertThat(JSON.readTree(control.body()).get("reason").stringValue()).contains("control character U+000D");

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
    store("survivor");
    assertThat(get("/v1/features/survivor").statusCode()).isEqualTo(200);
  }

  /** Stores a feature in the published generation (publishing generation 1 if memcached has none, as after a restart). */
  private OnlineFeature store(String docId) throws Exception {
    OnlineFeature feature = OnlineFeature.of(FeatureTables.row(docId, docId.hashCode(), Instant.parse("2026-11-25T10:00:00.123456Z")), FeatureVersion.of(42, 7));
    String key = publishedKeys().keyFor(docId);
    assertThat(memcached.set(key, 0, OnlineFeatureCodec.encode(feature), MemcachedClients.RAW_BYTES).get()).isTrue();
    return feature;
  }

  private MemcachedKeyScheme publishedKeys() {
    OnlineStoreGeneration generation = new OnlineStoreGeneration(memcached, MemcachedKeyScheme.defaultScheme(), 1000);
    if (generation.published().isEmpty()) {
      // memcached restarted: as the replicator would, publish the generation being served again
      generation.publish(generation.servers(), served.generation().orElse(1));
    }
    return MemcachedKeyScheme.defaultScheme().inGeneration(generation.published().getAsLong());
  }

  private HttpResponse<String> get(String path) throws Exception {
    return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path)).GET().build(), HttpResponse.BodyHandlers.ofString());
  }
}
