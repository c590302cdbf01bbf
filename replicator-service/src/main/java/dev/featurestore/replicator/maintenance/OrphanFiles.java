package dev.featurestore.replicator.maintenance;

import java.net.URI;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.apache.iceberg.HasTableOperations;
import org.apache.iceberg.ManifestFile;
import org.apache.iceberg.ReachableFileUtil;
import org.apache.iceberg.Snapshot;
import org.apache.iceberg.Table;
import org.apache.iceberg.io.FileInfo;
import org.apache.iceberg.io.SupportsPrefixOperations;

/**
 * Removes files under the table's location that nothing references: left by commits that failed or
 * by processes killed between writing a file and committing it. What is referenced: every metadata
 * file the current metadata lists, and every manifest list, manifest, data and delete file of every
 * snapshot still in the history (tags and branches included). Only files older than the safety age
 * go: a file younger than that may belong to a commit still in flight, which would then name a
 * missing file. The exception: metadata files of commits that lost their race.
 */
final class OrphanFiles {

  private final Table table;

  OrphanFiles(Table table) {
    this.table = table;
  }

  MaintenanceReport.Orphans remove(long olderThanMillis) {
    if (!(table.io() instanceof SupportsPrefixOperations listing)) {
      throw new IllegalStateException(
          "The table's file IO " + table.io().getClass().getName() + " cannot list files");
    }
    table.refresh();
    Set<String> referenced = referenced();
    List<FileInfo> files = new ArrayList<>();
    listing.listPrefix(table.location()).forEach(files::add);
    String current =
        table instanceof HasTableOperations operations
            ? normalized(operations.operations().current().metadataFileLocation())
            : null;
    long currentWrittenAt =
        files.stream()
            .filter(file -> normalized(file.location()).equals(current))
            .mapToLong(FileInfo::createdAtMillis)
            .findFirst()
            .orElse(Long.MIN_VALUE);
    int removed = 0;
    long bytes = 0;
    int tooYoung = 0;
    for (FileInfo file : files) {
      if (referenced.contains(normalized(file.location()))) {
        continue;
      }
      if (file.createdAtMillis() >= olderThanMillis && !lostItsRace(file, currentWrittenAt)) {
        tooYoung++;
        continue;
      }
      table.io().deleteFile(file.location());
      removed++;
      bytes += file.size();
    }
    return new MaintenanceReport.Orphans(removed, bytes, tooYoung);
  }

  /**
   * A metadata file that nothing references and that was written before the current one belongs to
   * a commit that lost its race: that commit expected the table at the version it started from, the
   * table has moved past it to a file written later, and versions never move back, so it can never
   * land. Such files (~1 MB each on a busy table) go at once instead of after the safety age.
   */
  private static boolean lostItsRace(FileInfo file, long currentWrittenAt) {
    return file.location().endsWith(".metadata.json") && file.createdAtMillis() < currentWrittenAt;
  }

  private Set<String> referenced() {
    Set<String> locations = new HashSet<>();
    if (table instanceof HasTableOperations operations) {
      locations.add(normalized(operations.operations().current().metadataFileLocation()));
    }
    ReachableFileUtil.metadataFileLocations(table, false)
        .forEach(location -> locations.add(normalized(location)));
    ReachableFileUtil.statisticsFilesLocations(table)
        .forEach(location -> locations.add(normalized(location)));
    locations.add(normalized(ReachableFileUtil.versionHintLocation(table)));
    Set<String> manifests = new HashSet<>();
    for (Snapshot snapshot : table.snapshots()) {
      if (snapshot.manifestListLocation() != null) {
        locations.add(normalized(snapshot.manifestListLocation()));
      }
      for (ManifestFile manifest : snapshot.allManifests(table.io())) {
        if (manifests.add(manifest.path())) {
          locations.add(normalized(manifest.path()));
          ManifestFileLocations.of(table, manifest)
              .forEach(location -> locations.add(normalized(location)));
        }
      }
    }
    return locations;
  }

  /**
   * One spelling per file: {@code file:/a}, {@code file:///a}, {@code /a} and {@code //a} are the
   * same local file (files of the unpartitioned spec, the writer's tombstones among them, are named
   * {@code data//...}), and so are {@code s3://b/a//c} and {@code s3://b/a/c}. A referenced file
   * spelled two ways must never look like an orphan.
   */
  static String normalized(String location) {
    if (location == null) {
      return null;
    }
    if (location.startsWith("file:")) {
      return Path.of(URI.create(location).getPath()).normalize().toString();
    }
    if (location.startsWith("/")) {
      return Path.of(location).normalize().toString();
    }
    int scheme = location.indexOf("://");
    if (scheme > 0) {
      int pathStart = location.indexOf('/', scheme + 3);
      if (pathStart > 0) {
        return location.substring(0, pathStart)
            + location.substring(pathStart).replaceAll("/{2,}", "/");
      }
    }
    return location;
  }
}
