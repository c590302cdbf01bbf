package dev.featurestore.writer;

import static org.assertj.core.api.Assertions.assertThat;

import dev.featurestore.testing.Ports;
import java.util.Map;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.junit.jupiter.api.Test;
import org.springframework.boot.health.contributor.Health;
import org.springframework.boot.health.contributor.Status;
import org.springframework.kafka.core.KafkaAdmin;

/** The Kafka check against a port nothing listens on: DOWN within its timeout, with the reason. */
class WriterHealthTest {

  @Test
  void kafkaIsDownWhenNoBrokerAnswers() throws Exception {
    int closedPort = Ports.free();
    WriterHealth health = new WriterHealth();
    KafkaAdmin kafkaAdmin =
        new KafkaAdmin(
            Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, "127.0.0.1:" + closedPort));
    try (var admin = health.healthAdmin(kafkaAdmin)) {
      long start = System.nanoTime();
      Health kafka = health.kafkaHealthIndicator(admin).health();
      assertThat(kafka.getStatus()).isEqualTo(Status.DOWN);
      assertThat(String.valueOf(kafka.getDetails().get("error")))
          .contains("Kafka did not answer within 3 s");
      assertThat(System.nanoTime() - start)
          .as("a health check must not hang")
          .isLessThan(10_000_000_000L);
    }
  }
}
