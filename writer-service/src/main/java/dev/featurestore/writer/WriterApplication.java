package dev.featurestore.writer;

import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.boot.context.properties.EnableConfigurationProperties;

/** Consumes documents from Kafka, embeds them with MiniLM and appends them to the Iceberg table. */
@SpringBootApplication
@EnableConfigurationProperties(WriterProperties.class)
public class WriterApplication {

  /**
   * Each service reads its own {@code <name>.yml}, so all three can share one classpath (as in e2e
   * tests).
   */
  public static SpringApplicationBuilder builder() {
    return new SpringApplicationBuilder(WriterApplication.class)
        .properties("spring.config.name=writer-service");
  }

  public static void main(String[] args) {
    builder().run(args);
  }
}
