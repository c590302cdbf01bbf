package dev.featurestore.replicator;

import dev.featurestore.common.CatalogSettings;
import dev.featurestore.common.MemcachedSettings;
import jakarta.validation.Valid;
import jakarta.validation.constraints.Min;
import jakarta.validation.constraints.NotNull;
import java.nio.file.Path;
import java.time.Duration;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;
import org.springframework.validation.annotation.Validated;

/**
 * Replicator configuration under {@code featurestore.*}; defaults live in {@code replicator-service.yml}.
 *
 * @param stateDir local state: the default SQLite catalog and warehouse
 * @param catalog the Iceberg catalog and table to follow
 * @param memcached the online store
 * @param replicator how to follow the table
 */
@Validated
@ConfigurationProperties("featurestore")
public record ReplicatorProperties(
    @NotNull Path stateDir,
    @DefaultValue CatalogSettings catalog,
    @DefaultValue MemcachedSettings memcached,
    @Valid @NotNull Replicator replicator) {

  /**
   * @param pollInterval pause between two cycles
   * @param writeBatchSize memcached sets in flight at once
   * @param writeTimeout how long one batch of sets may take
   * @param checkpointJdbcUrl where the checkpoint and the lease live; default: the catalog's own JDBC database
   * @param leaseTtl how long the active replicator's lease lasts without renewal: a standby takes over after it
   * @param instanceId this replicator's name in the lease; default: host, pid and a random suffix
   */
  public record Replicator(
      @NotNull Duration pollInterval,
      @Min(1) int writeBatchSize,
      @NotNull Duration writeTimeout,
      String checkpointJdbcUrl,
      @NotNull Duration leaseTtl,
      String instanceId) {}
}
