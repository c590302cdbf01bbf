package dev.featurestore.writer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.springframework.boot.context.properties.bind.BindException;
import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.boot.context.properties.source.MapConfigurationPropertySource;

/**
 * The writer's settings as Spring binds them: the record defaults, and a bad value named at start.
 */
class WriterPropertiesTest {

  @Test
  void withNothingSetTheDefaultsAreTheRecords() {
    WriterProperties properties = bind(Map.of());
    assertThat(properties.writer().topic()).isEqualTo("documents");
    assertThat(properties.writer().commitInterval()).isEqualTo(Duration.ofMillis(500));
    assertThat(properties.embedding().maxBatchSize()).isEqualTo(32);
  }

  @Test
  void aBadValueFailsTheBindingAndNamesItself() {
    assertThatThrownBy(() -> bind(Map.of("featurestore.writer.partitions", "0")))
        .isInstanceOf(BindException.class)
        .rootCause()
        .hasMessage("Invalid partitions: 0 (at least 1)");
    assertThatThrownBy(() -> bind(Map.of("featurestore.embedding.max-batch-size", "2000")))
        .rootCause()
        .hasMessage("Invalid embedding max batch size: 2000 (1 to 1024)");
    assertThatThrownBy(() -> bind(Map.of("featurestore.writer.topic", " ")))
        .rootCause()
        .hasMessage("Invalid writer topic:  ");
  }

  private static WriterProperties bind(Map<String, String> values) {
    return new Binder(new MapConfigurationPropertySource(values))
        .bindOrCreate("featurestore", WriterProperties.class);
  }
}
