package dev.featurestore.serving;

import dev.featurestore.spring.online.OnlineStoreConfiguration;
import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.context.annotation.Import;

/**
 * Serves embeddings from memcached over HTTP. Its health: {@code memcached} (from {@code
 * OnlineStoreConfiguration}), in the readiness group.
 */
@SpringBootApplication
@EnableConfigurationProperties(ServingProperties.class)
@Import(OnlineStoreConfiguration.class)
public class ServingApplication {

  /**
   * Each service reads its own {@code <name>.yml}, so all three can share one classpath (as in e2e
   * tests).
   */
  public static SpringApplicationBuilder builder() {
    return new SpringApplicationBuilder(ServingApplication.class)
        .properties("spring.config.name=serving-api");
  }

  public static void main(String[] args) {
    builder().run(args);
  }
}
