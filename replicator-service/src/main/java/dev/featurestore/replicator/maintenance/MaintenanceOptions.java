package dev.featurestore.replicator.maintenance;

import dev.featurestore.api.Preconditions;
import java.time.Duration;

/**
 * How one maintenance run treats the table.
 *
 * @param snapshotRetention snapshots older than this are expired (tagged ones and the replicator's
 *     checkpoint kept)
 * @param maxSnapshots snapshots beyond this many, newest first, are expired however young (same
 *     exceptions)
 * @param checkpointMaxAge a replicator checkpoint older than this no longer holds its snapshot back
 * @param targetFileBytes compacted files are about this size at most
 * @param smallFileBytes data files under this size are compacted
 * @param orphanMinAge unreferenced files younger than this are kept: a commit may still be writing
 *     them
 */
public record MaintenanceOptions(
    Duration snapshotRetention,
    int maxSnapshots,
    Duration checkpointMaxAge,
    long targetFileBytes,
    long smallFileBytes,
    Duration orphanMinAge) {

  public MaintenanceOptions {
    Preconditions.checkArgument(
        snapshotRetention != null && !snapshotRetention.isNegative(),
        "Invalid snapshot retention: %s",
        snapshotRetention);
    Preconditions.checkArgument(
        maxSnapshots > 0, "Invalid maximum snapshot count: %s", maxSnapshots);
    Preconditions.checkArgument(
        checkpointMaxAge != null && !checkpointMaxAge.isNegative(),
        "Invalid checkpoint max age: %s",
        checkpointMaxAge);
    Preconditions.checkArgument(
        targetFileBytes > 0, "Invalid target file size: %s", targetFileBytes);
    Preconditions.checkArgument(
        smallFileBytes > 0 && smallFileBytes <= targetFileBytes,
        "Invalid small file size: %s",
        smallFileBytes);
    Preconditions.checkArgument(
        orphanMinAge != null && !orphanMinAge.isNegative(),
        "Invalid orphan file age: %s",
        orphanMinAge);
  }

  public MaintenanceOptions withSnapshotRetention(Duration value) {
    return new MaintenanceOptions(
        value, maxSnapshots, checkpointMaxAge, targetFileBytes, smallFileBytes, orphanMinAge);
  }

  public MaintenanceOptions withOrphanMinAge(Duration value) {
    return new MaintenanceOptions(
        snapshotRetention, maxSnapshots, checkpointMaxAge, targetFileBytes, smallFileBytes, value);
  }
}
