package dev.featurestore.writer;

import dev.featurestore.writer.ingest.IngestLoop;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.DescribeClusterOptions;
import org.apache.kafka.clients.admin.DescribeClusterResult;
import org.springframework.boot.health.contributor.Health;
import org.springframework.boot.health.contributor.HealthIndicator;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.kafka.core.KafkaAdmin;

/**
 * The writer's health: {@code kafka} (the brokers answer), {@code catalog} (the feature table
 * loads, from {@code OfflineStoreConfiguration}) and {@code ingest} (the pipeline runs and its last
 * batch committed). All three are in the readiness group ({@code /actuator/health/readiness}),
 * which compose's health check and other services' start-up wait on.
 */
@Configuration(proxyBeanMethods = false)
class WriterHealth {

  private static final Duration KAFKA_TIMEOUT = Duration.ofSeconds(3);

  /**
   * Its own admin client, so that a check never queues behind the writer's consumers and producers.
   */
  @Bean(destroyMethod = "close")
  Admin healthAdmin(KafkaAdmin kafkaAdmin) {
    var config = new java.util.HashMap<>(kafkaAdmin.getConfigurationProperties());
    config.put(AdminClientConfig.CLIENT_ID_CONFIG, "featurestore-writer-health");
    config.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, (int) KAFKA_TIMEOUT.toMillis());
    config.put(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, (int) KAFKA_TIMEOUT.toMillis());
    return Admin.create(config);
  }

  @Bean
  HealthIndicator kafkaHealthIndicator(Admin healthAdmin) {
    return () -> {
      try {
        DescribeClusterResult cluster =
            healthAdmin.describeCluster(
                new DescribeClusterOptions().timeoutMs((int) KAFKA_TIMEOUT.toMillis()));
        int brokers = cluster.nodes().get(KAFKA_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS).size();
        return Health.up()
            .withDetail(
                "clusterId",
                cluster.clusterId().get(KAFKA_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS))
            .withDetail("brokers", brokers)
            .build();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return Health.down(e).build();
      } catch (Exception e) {
        return Health.down()
            .withDetail(
                "error", "Kafka did not answer within " + KAFKA_TIMEOUT.toSeconds() + " s: " + e)
            .build();
      }
    };
  }

  /**
   * DOWN until the consumer joined its group and positioned its partitions at the table's ledger
   * (the hot paths ran once before: see IngestLoop's warm-up), and when the ingest thread died or
   * the last batch failed (the writer is stalled, retrying).
   */
  @Bean
  HealthIndicator ingestHealthIndicator(IngestLoop ingestLoop) {
    return () -> {
      Health.Builder health =
          ingestLoop.isAlive() && ingestLoop.lastError() == null && ingestLoop.isPositioned()
              ? Health.up()
              : Health.down();
      health.withDetail("positioned", ingestLoop.isPositioned());
      if (ingestLoop.lastError() != null) {
        health.withDetail("lastError", ingestLoop.lastError());
      }
      if (ingestLoop.lastBatchCommitted() != null) {
        health.withDetail("lastBatchCommitted", ingestLoop.lastBatchCommitted().toString());
      }
      return health.build();
    };
  }
}
