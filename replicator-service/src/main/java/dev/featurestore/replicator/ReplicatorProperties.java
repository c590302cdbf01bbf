package dev.featurestore.replicator;

import dev.featurestore.api.Preconditions;
import dev.featurestore.replicator.maintenance.MaintenanceOptions;
import java.time.Duration;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;
import org.springframework.util.unit.DataSize;

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
@ConfigurationProperties("featurestore")
public record ReplicatorProperties(
    @DefaultValue Replicator replicator, @DefaultValue Maintenance maintenance) {

  public ReplicatorProperties {
    Preconditions.checkArgument(replicator != null, "Invalid replicator settings: %s", replicator);
    Preconditions.checkArgument(
        maintenance != null, "Invalid maintenance settings: %s", maintenance);
  }

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
      @DefaultValue("100ms") Duration pollInterval,
      @DefaultValue("500") int writeBatchSize,
      @DefaultValue("10s") Duration writeTimeout,
      String checkpointJdbcUrl,
      @DefaultValue("5s") Duration leaseTtl,
      String instanceId) {

    public Replicator {
      Preconditions.checkArgument(
          isPositive(pollInterval), "Invalid poll interval: %s", pollInterval);
      Preconditions.checkArgument(
          writeBatchSize >= 1, "Invalid write batch size: %s (at least 1)", writeBatchSize);
      Preconditions.checkArgument(
          isPositive(writeTimeout), "Invalid write timeout: %s", writeTimeout);
      Preconditions.checkArgument(isPositive(leaseTtl), "Invalid lease TTL: %s", leaseTtl);
    }
  }

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
      @DefaultValue("5m") Duration interval,
      // the window of snapshot time travel; each snapshot is ~1 KB of metadata.json, rewritten by
      // every commit
      @DefaultValue("10m") Duration snapshotRetention,
      // keeps metadata.json under ~0.5 MB at any commit rate
      @DefaultValue("500") int maxSnapshots,
      @DefaultValue("1d") Duration checkpointMaxAge,
      @DefaultValue("128MB") DataSize targetFileSize,
      @DefaultValue("96MB") DataSize smallFileSize,
      @DefaultValue("1d") Duration orphanMinAge) {

    public Maintenance {
      Preconditions.checkArgument(
          isPositive(interval), "Invalid maintenance interval: %s", interval);
      Preconditions.checkArgument(
          isPositive(snapshotRetention), "Invalid snapshot retention: %s", snapshotRetention);
      Preconditions.checkArgument(
          maxSnapshots >= 1, "Invalid max snapshots: %s (at least 1)", maxSnapshots);
      Preconditions.checkArgument(
          isPositive(checkpointMaxAge), "Invalid checkpoint max age: %s", checkpointMaxAge);
      Preconditions.checkArgument(
          targetFileSize != null && targetFileSize.toBytes() > 0,
          "Invalid target file size: %s",
          targetFileSize);
      Preconditions.checkArgument(
          smallFileSize != null && smallFileSize.toBytes() > 0,
          "Invalid small file size: %s",
          smallFileSize);
      Preconditions.checkArgument(
          orphanMinAge != null && !orphanMinAge.isNegative(),
          "Invalid orphan min age: %s",
          orphanMinAge);
    }

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

  private static boolean isPositive(Duration duration) {
    return duration != null && !duration.isNegative() && !duration.isZero();
  }
}
