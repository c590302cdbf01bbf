package dev.featurestore.replicator.maintenance;

import java.util.List;
import org.apache.iceberg.ManifestFile;
import org.apache.iceberg.Snapshot;
import org.apache.iceberg.Table;
import org.apache.iceberg.TableProperties;
import org.apache.iceberg.exceptions.CommitFailedException;
import org.apache.iceberg.exceptions.ValidationException;
import org.apache.iceberg.util.PropertyUtil;

/**
 * Rewrites the current snapshot's data manifests with Iceberg's {@code RewriteManifests}, clustered
 * by partition spec, so a snapshot's manifest list stays a few entries long however many commits
 * built it (each rewritten manifest rolls at {@code commit.manifest.target-size-bytes}). Runs only
 * when there are small manifests to merge.
 */
final class ManifestRewrite {

  private final Table table;

  ManifestRewrite(Table table) {
    this.table = table;
  }

  record Result(int before, int after) {}

  Result run() {
    table.refresh();
    Snapshot current = table.currentSnapshot();
    if (current == null) {
      return new Result(0, 0);
    }
    long target =
        PropertyUtil.propertyAsLong(
            table.properties(),
            TableProperties.MANIFEST_TARGET_SIZE_BYTES,
            TableProperties.MANIFEST_TARGET_SIZE_BYTES_DEFAULT);
    List<ManifestFile> manifests = current.dataManifests(table.io());
    long small = manifests.stream().filter(manifest -> manifest.length() < target / 2).count();
    if (small < 2) {
      return new Result(manifests.size(), manifests.size());
    }
    try {
      table
          .rewriteManifests()
          .clusterBy(file -> file.specId())
          .rewriteIf(manifest -> manifest.length() < target / 2)
          .set(DataFileCompaction.SUMMARY_KEY, "manifests")
          .commit();
    } catch (ValidationException | CommitFailedException e) {
      return new Result(manifests.size(), manifests.size());
    }
    table.refresh();
    return new Result(manifests.size(), table.currentSnapshot().dataManifests(table.io()).size());
  }
}
