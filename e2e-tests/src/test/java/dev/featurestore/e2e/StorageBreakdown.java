package dev.featurestore.e2e;

import dev.featurestore.replicator.maintenance.ManifestFileLocations;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.EnumMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;
import org.apache.iceberg.HasTableOperations;
import org.apache.iceberg.ManifestFile;
import org.apache.iceberg.Snapshot;
import org.apache.iceberg.Table;
import org.apache.iceberg.TableMetadata;

/**
 * Where a local table's bytes are, read from the files themselves: each file under the table's
 * location by kind (metadata.json, manifest list, manifest, data or delete file) and by who needs
 * it (the current snapshot, only older snapshots still in the history, or nothing: an orphan not
 * yet old enough to remove).
 */
record StorageBreakdown(Map<Kind, long[]> bytes) {

  enum Kind {
    METADATA_JSON,
    MANIFEST_LIST,
    MANIFEST,
    DATA
  }

  static final int CURRENT = 0;
  static final int OLDER_SNAPSHOTS = 1;
  static final int UNREFERENCED = 2;

  static StorageBreakdown of(Table table) throws IOException {
    table.refresh();
    Set<String> current = new HashSet<>();
    Set<String> history = new HashSet<>();
    TableMetadata metadata = ((HasTableOperations) table).operations().current();
    current.add(local(metadata.metadataFileLocation()));
    metadata.previousFiles().forEach(entry -> history.add(local(entry.file())));
    Set<String> manifestsRead = new HashSet<>();
    for (Snapshot snapshot : table.snapshots()) {
      boolean isCurrent =
          table.currentSnapshot() != null
              && snapshot.snapshotId() == table.currentSnapshot().snapshotId();
      Set<String> into = isCurrent ? current : history;
      into.add(local(snapshot.manifestListLocation()));
      for (ManifestFile manifest : snapshot.allManifests(table.io())) {
        into.add(local(manifest.path()));
        if (manifestsRead.add(manifest.path() + isCurrent)) {
          ManifestFileLocations.of(table, manifest).forEach(file -> into.add(local(file)));
        }
      }
    }
    Map<Kind, long[]> bytes = new EnumMap<>(Kind.class);
    for (Kind kind : Kind.values()) {
      bytes.put(kind, new long[3]);
    }
    try (Stream<Path> files = Files.walk(Path.of(local(table.location())))) {
      files
          .filter(Files::isRegularFile)
          .forEach(
              path -> {
                String name = path.normalize().toString();
                int who =
                    current.contains(name)
                        ? CURRENT
                        : history.contains(name) ? OLDER_SNAPSHOTS : UNREFERENCED;
                bytes.get(kindOf(name))[who] += path.toFile().length();
              });
    }
    return new StorageBreakdown(bytes);
  }

  private static Kind kindOf(String name) {
    if (name.endsWith(".metadata.json")) {
      return Kind.METADATA_JSON;
    }
    if (name.contains("/metadata/snap-")) {
      return Kind.MANIFEST_LIST;
    }
    return name.contains("/metadata/") ? Kind.MANIFEST : Kind.DATA;
  }

  private static String local(String location) {
    String path = location.startsWith("file:") ? java.net.URI.create(location).getPath() : location;
    return Path.of(path).normalize().toString();
  }

  /** A markdown table: rows by kind, columns by who needs the bytes. */
  String toMarkdown() {
    StringBuilder text =
        new StringBuilder(
            "| file kind | current snapshot | older snapshots only | unreferenced (younger than the orphan age) |\n|---|---|---|---|\n");
    long[] total = new long[3];
    bytes.forEach(
        (kind, values) -> {
          text.append(
              String.format(
                  "| %s | %s | %s | %s |%n",
                  kind.name().toLowerCase(java.util.Locale.ROOT).replace('_', ' '),
                  kib(values[0]),
                  kib(values[1]),
                  kib(values[2])));
          for (int i = 0; i < 3; i++) {
            total[i] += values[i];
          }
        });
    text.append(
        String.format("| all | %s | %s | %s |%n", kib(total[0]), kib(total[1]), kib(total[2])));
    return text.toString();
  }

  private static String kib(long bytes) {
    return String.format("%.0f KiB", bytes / 1024.0);
  }
}
