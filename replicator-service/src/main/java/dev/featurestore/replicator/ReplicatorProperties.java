package dev.featurestore.replicator;

import jakarta.validation.Valid;
import jakarta.validation.constraints.Min;
import jakarta.validation.constraints.NotNull;
import jakarta.validation.constraints.Positive;
import dev.featurestore.replicator.maintenance.MaintenanceOptions;
import java.time.Duration;
import org.springframework.util.unit.DataSize;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;
import org.springframework.validation.annotation.Validated;

/**
 * Replicator configuration under {@code featurestore.*}; defaults live in {@code replicator-service.yml}. The
 * catalog, the state dir and memcached are the stores' ({@code OfflineStoreProperties}, {@code
 * OnlineStoreProperties}). Its health: {@code catalog} and {@code memcached}, both in the readiness group; a
 * standby is ready: it holds no lease but takes over within a lease TTL.
 *
 * @param replicator how to follow the table
 * @param maintenance the table's upkeep (compaction, expiry, cleanup), run by the replicators
 */
@Validated
@ConfigurationProperties("featurestore")
public record ReplicatorProperties(
    @Valid @NotNull Replicator replicator,
    @Valid @NotNull Maintenance maintenance) {

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

  /**
   * @param enabled whether this replicator runs maintenance on its schedule (on demand it always can)
   * @param interval pause between two scheduled runs
   * @param snapshotRetention snapshots older than this are expired: the window of snapshot time travel
   * @param maxSnapshots at most this many snapshots are kept past a run (newest first), whatever their age: what
   *     bounds metadata.json at any commit rate; a run starts early when the table holds more
   * @param checkpointMaxAge the replicator checkpoint holds its snapshot back from expiry up to this age
   * @param targetFileSize compacted data files are about this size at most
   * @param smallFileSize data files under this size are compacted
   * @param orphanMinAge unreferenced files younger than this are never removed (a commit may be in flight)
   */
  public record Maintenance(
      boolean enabled,
      @NotNull Duration interval,
      @NotNull Duration snapshotRetention,
      @Positive int maxSnapshots,
      @NotNull Duration checkpointMaxAge,
      @NotNull DataSize targetFileSize,
      @NotNull DataSize smallFileSize,
      @NotNull Duration orphanMinAge) {

    public MaintenanceOptions options() {
      return new MaintenanceOptions(snapshotRetention, maxSnapshots, checkpointMaxAge, targetFileSize.toBytes(), smallFileSize.toBytes(), orphanMinAge);
    }
  }
}
