package dev.featurestore.serving;

import dev.featurestore.spring.online.OnlineStoreConfiguration;
import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.boot.jackson.autoconfigure.JsonMapperBuilderCustomizer;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Import;
import tools.jackson.core.StreamWriteFeature;

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

  /**
   * An embedding is 384 floats: with Java 17's {@code Float.toString} writing them was most of a
   * JSON answer's CPU (a 50-id batch could not keep up with 500 requests/s on two cores); Jackson's
   * Schubfach writer gives the same shortest round-tripping digits several times faster.
   */
  @Bean
  JsonMapperBuilderCustomizer fastFloats() {
    return builder -> builder.enable(StreamWriteFeature.USE_FAST_DOUBLE_WRITER);
  }
}
