package dev.featurestore.replicator;

import dev.featurestore.replicator.maintenance.MaintenanceOptions;
import jakarta.validation.Valid;
import jakarta.validation.constraints.Min;
import jakarta.validation.constraints.NotNull;
import jakarta.validation.constraints.Positive;
import java.time.Duration;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;
import org.springframework.util.unit.DataSize;
import org.springframework.validation.annotation.Validated;

/**
 * Replicator configuration under {@code featurestore.*}; defaults live in {@code
 * replicator-service.yml}. The catalog, the state dir and memcached are the stores' ({@code
 * OfflineStoreProperties}, {@code OnlineStoreProperties}). Its health: {@code catalog} and {@code
 * memcached}, both in the readiness group; a standby is ready: it holds no lease but takes over
 * within a lease TTL.
 *
 * @param replicator how to follow the table
 * @param maintenance the table's upkeep (compaction, expiry, cleanup), run by the replicators
 */
@Validated
@ConfigurationProperties("featurestore")
public record ReplicatorProperties(
    @DefaultValue @Valid @NotNull Replicator replicator,
    @DefaultValue @Valid @NotNull Maintenance maintenance) {

  /**
   * @param pollInterval pause between two cycles
   * @param writeBatchSize memcached sets in flight at once
   * @param writeTimeout how long one batch of sets may take
   * @param checkpointJdbcUrl where the checkpoint and the lease live; default: the catalog's own
   *     JDBC database
   * @param leaseTtl how long the active replicator's lease lasts without renewal: a standby takes
   *     over after it
   * @param instanceId this replicator's name in the lease; default: host, pid and a random suffix
   */
  public record Replicator(
      @DefaultValue("100ms") @NotNull Duration pollInterval,
      @DefaultValue("500") @Min(1) int writeBatchSize,
      @DefaultValue("10s") @NotNull Duration writeTimeout,
      String checkpointJdbcUrl,
      @DefaultValue("5s") @NotNull Duration leaseTtl,
      String instanceId) {}

  /**
   * @param enabled whether this replicator runs maintenance on its schedule (on demand it always
   *     can)
   * @param interval pause between two scheduled runs
   * @param snapshotRetention snapshots older than this are expired: the window of snapshot time
   *     travel
   * @param maxSnapshots at most this many snapshots are kept past a run (newest first), whatever
   *     their age: what bounds metadata.json at any commit rate; a run starts early when the table
   *     holds more
   * @param checkpointMaxAge the replicator checkpoint holds its snapshot back from expiry up to
   *     this age
   * @param targetFileSize compacted data files are about this size at most
   * @param smallFileSize data files under this size are compacted
   * @param orphanMinAge unreferenced files younger than this are never removed (a commit may be in
   *     flight)
   */
  public record Maintenance(
      @DefaultValue("true") boolean enabled,
      @DefaultValue("5m") @NotNull Duration interval,
      // the window of snapshot time travel; each snapshot is ~1 KB of metadata.json, rewritten by
      // every commit
      @DefaultValue("10m") @NotNull Duration snapshotRetention,
      // keeps metadata.json under ~0.5 MB at any commit rate
      @DefaultValue("500") @Positive int maxSnapshots,
      @DefaultValue("1d") @NotNull Duration checkpointMaxAge,
      @DefaultValue("128MB") @NotNull DataSize targetFileSize,
      @DefaultValue("96MB") @NotNull DataSize smallFileSize,
      @DefaultValue("1d") @NotNull Duration orphanMinAge) {

    public MaintenanceOptions options() {
      return new MaintenanceOptions(
          snapshotRetention,
          maxSnapshots,
          checkpointMaxAge,
          targetFileSize.toBytes(),
          smallFileSize.toBytes(),
          orphanMinAge);
    }
  }
}
