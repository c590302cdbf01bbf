package dev.featurestore.serving;

import dev.featurestore.common.MemcachedClients;
import net.spy.memcached.MemcachedClient;
import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.context.annotation.Bean;

/** Serves embeddings from memcached over HTTP. */
@SpringBootApplication
@EnableConfigurationProperties(ServingProperties.class)
public class ServingApplication {

  /** Each service reads its own {@code <name>.yml}, so all three can share one classpath (as in e2e tests). */
  public static SpringApplicationBuilder builder() {
    return new SpringApplicationBuilder(ServingApplication.class).properties("spring.config.name=serving-api");
  }

  public static void main(String[] args) {
    builder().run(args);
  }

  @Bean(destroyMethod = "shutdown")
  MemcachedClient memcachedClient(ServingProperties properties) {
    return MemcachedClients.connect(properties.memcached());
  }
}
