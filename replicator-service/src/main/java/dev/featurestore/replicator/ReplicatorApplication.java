package dev.featurestore.replicator;

import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.boot.context.properties.EnableConfigurationProperties;

/** Follows the Iceberg table's snapshots and mirrors their rows into memcached. */
@SpringBootApplication
@EnableConfigurationProperties(ReplicatorProperties.class)
public class ReplicatorApplication {

  /**
   * Each service reads its own {@code <name>.yml}, so all three can share one classpath (as in e2e
   * tests).
   */
  public static SpringApplicationBuilder builder() {
    return new SpringApplicationBuilder(ReplicatorApplication.class)
        .properties("spring.config.name=replicator-service");
  }

  public static void main(String[] args) {
    builder().run(args);
  }
}
