package dev.featurestore.replicator.maintenance;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.HashSet;
import java.util.Set;
import org.apache.iceberg.DeleteFile;
import org.apache.iceberg.ManifestContent;
import org.apache.iceberg.ManifestFile;
import org.apache.iceberg.ManifestFiles;
import org.apache.iceberg.ManifestReader;
import org.apache.iceberg.Table;
import org.apache.iceberg.io.CloseableIterable;

/** The data or delete files a manifest lists, by location as written. */
public final class ManifestFileLocations {

  private ManifestFileLocations() {}

  public static Set<String> of(Table table, ManifestFile manifest) {
    Set<String> files = new HashSet<>();
    try {
      if (manifest.content() == ManifestContent.DATA) {
        try (CloseableIterable<String> paths =
            ManifestFiles.readPaths(manifest, table.io(), table.specs())) {
          paths.forEach(files::add);
        }
      } else {
        try (ManifestReader<DeleteFile> deletes =
            ManifestFiles.readDeleteManifest(manifest, table.io(), table.specs())) {
          deletes.forEach(file -> files.add(file.location()));
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException("Cannot read manifest " + manifest.path(), e);
    }
    return files;
  }
}
