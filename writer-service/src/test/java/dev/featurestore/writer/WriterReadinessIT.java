package dev.featurestore.writer;

import static org.assertj.core.api.Assertions.assertThat;

import dev.featurestore.testing.PostgresServer;
import dev.featurestore.testing.Readiness;
import io.micrometer.core.instrument.MeterRegistry;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Properties;
import java.util.function.DoublePredicate;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.junit.jupiter.api.Test;
import org.springframework.boot.web.server.context.WebServerApplicationContext;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.kafka.test.EmbeddedKafkaKraftBroker;
import tools.jackson.databind.JsonNode;

/**
 * The writer as compose deploys it (catalog in PostgreSQL) through catalog outages: readiness goes
 * DOWN and the consumer lag counts the records that cannot reach the table; once PostgreSQL is
 * back, the records are committed, the lag returns to 0 and readiness to UP without any further
 * traffic, also after a rebalance during the outage.
 */
class WriterReadinessIT {

  private static final String LAG = "featurestore.writer.consumer.lag";

  @Test
  void readinessAndLagFollowACatalogOutage() throws Exception {
    EmbeddedKafkaKraftBroker kafka = TestKafka.start();
    Path stateDir = Files.createTempDirectory(Path.of("target"), "writer-readiness-");
    try (PostgresServer postgres = PostgresServer.start();
        KafkaProducer<String, byte[]> producer = TestKafka.producer(kafka);
        ConfigurableApplicationContext writer =
            WriterApplication.builder()
                .run(
                    "--server.port=0",
                    "--featurestore.state-dir=" + stateDir.toAbsolutePath(),
                    "--featurestore.embedding.cache-dir="
                        + Path.of("target", "model-cache").toAbsolutePath(),
                    "--spring.kafka.bootstrap-servers=" + kafka.getBrokersAsString(),
                    "--featurestore.catalog.properties.uri=" + postgres.createDatabase(),
                    "--featurestore.catalog.properties.jdbc.user=" + PostgresServer.USER,
                    "--featurestore.catalog.properties.jdbc.password=" + PostgresServer.PASSWORD)) {
      Readiness readiness =
          Readiness.onPort(((WebServerApplicationContext) writer).getWebServer().getPort());
      MeterRegistry meters = writer.getBean(MeterRegistry.class);
      send(producer, 0);
      readiness.await(
          200, body -> body.at("/components/ingest/details/lastBatchCommitted").isString());
      awaitLag(meters, lag -> lag == 0);

      postgres.stop();
      for (int i = 1; i <= 5; i++) {
        send(producer, i);
      }
      JsonNode down =
          readiness.await(
              503, body -> "DOWN".equals(body.at("/components/catalog/status").asString()));
      assertThat(down.at("/components/kafka/status").asString()).isEqualTo("UP");
      awaitLag(meters, lag -> lag >= 5);
      assertThat(readiness.get("/actuator/health/liveness").statusCode()).isEqualTo(200);

      postgres.restart();
      awaitLag(meters, lag -> lag == 0);
      readiness.await(200, body -> true);
      assertThat(meters.counter("featurestore.writer.rows.committed").count()).isEqualTo(6);

      // an aborted transaction leaves offsets no commit will ever cover (its record and its
      // marker): an idle writer
      // that has read past them has no lag, or the stalled-writer alert would page
      try (KafkaProducer<String, byte[]> aborting =
          TestKafka.transactionalProducer(kafka, "aborting-producer")) {
        aborting.initTransactions();
        aborting.beginTransaction();
        aborting
            .send(
                new ProducerRecord<>(
                    "documents",
                    "doc-aborted",
                    "{\"doc_id\":\"doc-aborted\",\"text\":\"Never committed.\"}"
                        .getBytes(StandardCharsets.UTF_8)))
            .get();
        aborting.abortTransaction();
      }
      // past the writer's 5 s refresh of the log ends, which sees the partition end after the
      // marker
      Thread.sleep(6_000);
      awaitLag(meters, lag -> lag == 0);
      assertThat(meters.counter("featurestore.writer.rows.committed").count()).isEqualTo(6);

      // a rebalance while the catalog is down: partitions the writer gets back cannot be positioned
      // from the table's
      // ledger (an error of the loop, not of a batch). With the catalog back the writer is ready
      // again, though no
      // batch comes to commit
      postgres.stop();
      try (KafkaConsumer<String, byte[]> intruder = groupMember(kafka)) {
        intruder.subscribe(List.of("documents"));
        long joinDeadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (intruder.assignment().isEmpty() && System.nanoTime() < joinDeadline) {
          intruder.poll(Duration.ofMillis(200));
        }
        assertThat(intruder.assignment()).as("the intruder joined the writers' group").isNotEmpty();
      }
      readiness.await(503, body -> body.at("/components/ingest/details/lastError").isString());
      postgres.restart();
      JsonNode ready = readiness.await(200, body -> true);
      assertThat(ready.at("/components/ingest/status").asString()).isEqualTo("UP");
    } finally {
      kafka.destroy();
    }
  }

  /** A consumer in the writers' group that commits nothing: it only makes the group rebalance. */
  private static KafkaConsumer<String, byte[]> groupMember(EmbeddedKafkaKraftBroker kafka) {
    Properties config = new Properties();
    config.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.getBrokersAsString());
    config.put(ConsumerConfig.GROUP_ID_CONFIG, "featurestore-writer");
    config.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
    config.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class);
    config.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class);
    return new KafkaConsumer<>(config);
  }

  private static void send(KafkaProducer<String, byte[]> producer, int i) throws Exception {
    String json = "{\"doc_id\":\"doc-" + i + "\",\"text\":\"Document number " + i + ".\"}";
    producer
        .send(new ProducerRecord<>("documents", "doc-" + i, json.getBytes(StandardCharsets.UTF_8)))
        .get();
  }

  private static void awaitLag(MeterRegistry meters, DoublePredicate condition)
      throws InterruptedException {
    long deadline = System.nanoTime() + Duration.ofMinutes(2).toNanos();
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
}
