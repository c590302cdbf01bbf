package dev.featurestore.replicator.maintenance;

import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * What one maintenance run did to the table, step by step.
 *
 * @param compaction data files rewritten into fewer, larger ones (deletes applied)
 * @param manifestsBefore data manifests of the current snapshot before the manifest rewrite
 * @param manifestsAfter and after it
 * @param snapshotsExpired snapshots removed from the table's history
 * @param expiredFilesDeleted data, delete, manifest and manifest-list files only expired snapshots
 *     referenced
 * @param orphans files in the table's location that no snapshot or metadata file references
 * @param before the table's shape before the run
 * @param health and after it
 * @param took how long the run took
 */
public record MaintenanceReport(
    Compaction compaction,
    int manifestsBefore,
    int manifestsAfter,
    int snapshotsExpired,
    int expiredFilesDeleted,
    Orphans orphans,
    TableHealth before,
    TableHealth health,
    Duration took) {

  /**
   * @param groups rewrite commits that landed
   * @param conflicts groups given up because a concurrent commit changed their files (retried next
   *     run)
   * @param filesBefore data files replaced
   * @param bytesBefore their bytes
   * @param filesAfter data files written in their place
   * @param bytesAfter their bytes
   * @param rowsDropped rows the deletes had already erased, now gone from the files too
   * @param deleteFilesRemoved delete files (tombstones) applied to every file they concerned, and
   *     removed
   */
  public record Compaction(
      int groups,
      int conflicts,
      int filesBefore,
      long bytesBefore,
      int filesAfter,
      long bytesAfter,
      long rowsDropped,
      int deleteFilesRemoved) {
    public static final Compaction NONE = new Compaction(0, 0, 0, 0, 0, 0, 0, 0);
  }

  /**
   * @param removed orphan files deleted
   * @param bytes their bytes
   * @param tooYoung unreferenced files kept because they are younger than the safety age (a commit
   *     may be in flight)
   */
  public record Orphans(int removed, long bytes, int tooYoung) {
    public static final Orphans NONE = new Orphans(0, 0, 0);
  }

  /** Lines a person reads (the {@code ./featurestore maintain} output). */
  public String toText() {
    StringBuilder text = new StringBuilder();
    text.append(
        String.format(
            Locale.ROOT,
            "compaction: %d data files (%s) -> %d (%s) in %d commits; %d deleted rows and %d delete files dropped; %d groups left for the next run (concurrent commit)%n",
            compaction.filesBefore(),
            bytes(compaction.bytesBefore()),
            compaction.filesAfter(),
            bytes(compaction.bytesAfter()),
            compaction.groups(),
            compaction.rowsDropped(),
            compaction.deleteFilesRemoved(),
            compaction.conflicts()));
    text.append(
        String.format(
            Locale.ROOT, "manifests rewritten: %d -> %d%n", manifestsBefore, manifestsAfter));
    text.append(
        String.format(
            Locale.ROOT,
            "snapshots expired: %d (%d files only they referenced deleted)%n",
            snapshotsExpired,
            expiredFilesDeleted));
    text.append(
        String.format(
            Locale.ROOT,
            "orphan files removed: %d (%s); %d unreferenced files younger than the safety age kept%n",
            orphans.removed(),
            bytes(orphans.bytes()),
            orphans.tooYoung()));
    text.append("table before: ").append(before.toText()).append(String.format(Locale.ROOT, "%n"));
    text.append("table after:  ")
        .append(health.toText())
        .append(String.format(Locale.ROOT, " (took %.1f s)%n", took.toMillis() / 1000.0));
    return text.toString();
  }

  /** The same figures as a JSON object (the actuator endpoint's answer). */
  public Map<String, Object> toMap() {
    Map<String, Object> map = new LinkedHashMap<>();
    map.put("compaction", compaction);
    map.put("manifests_before", manifestsBefore);
    map.put("manifests_after", manifestsAfter);
    map.put("snapshots_expired", snapshotsExpired);
    map.put("expired_files_deleted", expiredFilesDeleted);
    map.put("orphans", orphans);
    map.put("table_before", before);
    map.put("table", health);
    map.put("took_ms", took.toMillis());
    map.put("text", toText());
    return map;
  }

  static String bytes(long bytes) {
    if (bytes < 1024) {
      return bytes + " B";
    }
    if (bytes < 1024 * 1024) {
      return String.format(Locale.ROOT, "%.1f KiB", bytes / 1024.0);
    }
    return String.format(Locale.ROOT, "%.1f MiB", bytes / (1024.0 * 1024));
  }
}
