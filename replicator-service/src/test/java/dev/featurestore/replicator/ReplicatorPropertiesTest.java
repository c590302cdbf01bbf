package dev.featurestore.replicator;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.springframework.boot.context.properties.bind.BindException;
import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.boot.context.properties.source.MapConfigurationPropertySource;

/**
 * The replicator's settings as Spring binds them: the record defaults, and a bad value named at
 * start.
 */
class ReplicatorPropertiesTest {

  @Test
  void withNothingSetTheDefaultsAreTheRecords() {
    ReplicatorProperties properties = bind(Map.of());
    assertThat(properties.replicator().leaseTtl()).isEqualTo(Duration.ofSeconds(5));
    assertThat(properties.maintenance().maxSnapshots()).isEqualTo(500);
    assertThat(properties.maintenance().enabled()).isTrue();
  }

  @Test
  void aBadValueFailsTheBindingAndNamesItself() {
    assertThatThrownBy(() -> bind(Map.of("featurestore.replicator.lease-ttl", "0s")))
        .isInstanceOf(BindException.class)
        .rootCause()
        .hasMessage("Invalid lease TTL: PT0S");
    assertThatThrownBy(() -> bind(Map.of("featurestore.maintenance.max-snapshots", "0")))
        .rootCause()
        .hasMessage("Invalid max snapshots: 0 (at least 1)");
  }

  private static ReplicatorProperties bind(Map<String, String> values) {
    return new Binder(new MapConfigurationPropertySource(values))
        .bindOrCreate("featurestore", ReplicatorProperties.class);
  }
}
