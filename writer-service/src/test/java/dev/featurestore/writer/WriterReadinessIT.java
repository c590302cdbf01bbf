package dev.featurestore.writer;

import static org.assertj.core.api.Assertions.assertThat;

import dev.featurestore.common.testing.PostgresServer;
import io.micrometer.core.instrument.MeterRegistry;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Properties;
import java.util.function.DoublePredicate;
import java.util.function.Predicate;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;
import org.springframework.boot.web.server.context.WebServerApplicationContext;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.kafka.test.EmbeddedKafkaKraftBroker;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * The writer as compose deploys it (catalog in PostgreSQL) through a catalog outage: readiness goes DOWN and the
 * consumer lag counts the records that cannot reach the table; once PostgreSQL is back, the records are committed, the
 * lag returns to 0 and readiness to UP without any further traffic.
 */
class WriterReadinessIT {

  private static final JsonMapper JSON = JsonMapper.builder().build();
  private static final String LAG = "featurestore.writer.consumer.lag";

  private final HttpClient http = HttpClient.newHttpClient();

  @Test
  void readinessAndLagFollowACatalogOutage() throws Exception {
    EmbeddedKafkaKraftBroker kafka = new EmbeddedKafkaKraftBroker(1, 3, "documents", "documents.dlq");
    kafka.brokerProperties(Map.of("transaction.state.log.replication.factor", "1", "transaction.state.log.min.isr", "1"));
    kafka.afterPropertiesSet();
    Path stateDir = Files.createTempDirectory(Path.of("target"), "writer-readiness-");
    try (PostgresServer postgres = PostgresServer.start();
        KafkaProducer<String, byte[]> producer = producer(kafka);
        ConfigurableApplicationContext writer =
            WriterApplication.builder()
                .run(
                    "--server.port=0",
                    "--featurestore.state-dir=" + stateDir.toAbsolutePath(),
                    "--featurestore.embedding.cache-dir=" + Path.of("target", "model-cache").toAbsolutePath(),
                    "--spring.kafka.bootstrap-servers=" + kafka.getBrokersAsString(),
                    "--featurestore.catalog.properties.uri=" + postgres.createDatabase(),
                    "--featurestore.catalog.properties.jdbc.user=" + PostgresServer.USER,
                    "--featurestore.catalog.properties.jdbc.password=" + PostgresServer.PASSWORD)) {
      String base = "http://127.0.0.1:" + ((WebServerApplicationContext) writer).getWebServer().getPort();
      MeterRegistry meters = writer.getBean(MeterRegistry.class);
      send(producer, 0);
      awaitReadiness(base, 200, body -> body.at("/components/ingest/details/lastBatchCommitted").isString());
      awaitLag(meters, lag -> lag == 0);

      postgres.stop();
      for (int i = 1; i <= 5; i++) {
        send(producer, i);
      }
      JsonNode down = awaitReadiness(base, 503, body -> "DOWN".equals(body.at("/components/catalog/status").asString()));
      assertThat(down.at("/components/kafka/status").asString()).isEqualTo("UP");
      awaitLag(meters, lag -> lag >= 5);
      assertThat(get(base + "/actuator/health/liveness").statusCode()).isEqualTo(200);

      postgres.restart();
      awaitLag(meters, lag -> lag == 0);
      awaitReadiness(base, 200, body -> true);
      assertThat(meters.counter("featurestore.writer.rows.committed").count()).isEqualTo(6);
    } finally {
      kafka.destroy();
    }
  }

  private static void send(KafkaProducer<String, byte[]> producer, int i) throws Exception {
    String json = "{\"doc_id\":\"doc-" + i + "\",\"text\":\"Document number " + i + ".\"}";
    producer.send(new ProducerRecord<>("documents", "doc-" + i, json.getBytes(StandardCharsets.UTF_8))).get();
  }

  private static void awaitLag(MeterRegistry meters, DoublePredicate condition) throws InterruptedException {
    long deadline = System.nanoTime() + Duration.ofSeconds(120).toNanos();
    double lag = Double.NaN;
    while (System.nanoTime() < deadline) {
      lag = meters.get(LAG).gauge().value();
      if (condition.test(lag)) {
        return;
      }
      Thread.sleep(200);
    }
    throw new AssertionError("consumer lag did not reach the expected value; last " + lag);
  }

  private JsonNode awaitReadiness(String base, int status, Predicate<JsonNode> condition) throws Exception {
    long deadline = System.nanoTime() + Duration.ofSeconds(120).toNanos();
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

  private static KafkaProducer<String, byte[]> producer(EmbeddedKafkaKraftBroker kafka) {
    Properties config = new Properties();
    config.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.getBrokersAsString());
    config.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class);
    config.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class);
    return new KafkaProducer<>(config);
  }
}
