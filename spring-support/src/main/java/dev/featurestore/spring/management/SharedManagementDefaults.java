package dev.featurestore.spring.management;

import java.io.IOException;
import java.io.UncheckedIOException;
import org.springframework.boot.EnvironmentPostProcessor;
import org.springframework.boot.SpringApplication;
import org.springframework.boot.env.YamlPropertySourceLoader;
import org.springframework.core.env.ConfigurableEnvironment;
import org.springframework.core.env.PropertySource;
import org.springframework.core.io.ClassPathResource;

/**
 * The management settings every service shares ({@code featurestore-management.yml}: the exposed
 * endpoints, the liveness and readiness probes, the table tag on every metric), added below
 * everything else, so that a service's own yml, the environment or the command line can still
 * override any of them.
 */
public class SharedManagementDefaults implements EnvironmentPostProcessor {

  static final String RESOURCE = "featurestore-management.yml";

  @Override
  public void postProcessEnvironment(
      ConfigurableEnvironment environment, SpringApplication application) {
    try {
      for (PropertySource<?> source :
          new YamlPropertySourceLoader().load(RESOURCE, new ClassPathResource(RESOURCE))) {
        environment.getPropertySources().addLast(source);
      }
    } catch (IOException e) {
      throw new UncheckedIOException("Cannot read " + RESOURCE, e);
    }
  }
}
