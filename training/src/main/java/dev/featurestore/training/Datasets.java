package dev.featurestore.training;

import dev.featurestore.api.Preconditions;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import org.apache.iceberg.Snapshot;
import org.apache.iceberg.SnapshotRef;
import org.apache.iceberg.Table;
import org.apache.iceberg.util.SnapshotUtil;

/**
 * Datasets: Iceberg tags on the feature table, each pinning the snapshot a training set reads.
 * Table maintenance (Iceberg's snapshot expiry) never removes a tagged snapshot or its files while
 * the tag lives; a tag created with a retention is dropped by expiry once it is that old.
 */
public final class Datasets {

  /** One dataset as listed. */
  public record Dataset(String name, long snapshotId, Instant snapshotTime, Duration retention) {}

  private final Table table;

  public Datasets(Table table) {
    Preconditions.checkArgument(table != null, "Invalid table: null");
    this.table = table;
  }

  /**
   * Pins the snapshot current at {@code asOf} (null: now) under {@code name}, kept for {@code
   * retention} (null: until dropped).
   */
  public Dataset create(String name, Instant asOf, Duration retention) {
    Preconditions.checkArgument(
        name != null && name.matches("[A-Za-z0-9][A-Za-z0-9._-]{0,127}"),
        "Invalid dataset name: %s (letters, digits, '.', '_' and '-', up to 128)",
        name);
    Preconditions.checkArgument(
        retention == null || (!retention.isNegative() && !retention.isZero()),
        "Invalid retention: %s",
        retention);
    table.refresh();
    Preconditions.checkArgument(
        !table.refs().containsKey(name), "Dataset %s exists already: drop it first", name);
    Snapshot snapshot;
    if (asOf == null) {
      snapshot = table.currentSnapshot();
      Preconditions.checkArgument(snapshot != null, "The table is empty: nothing to pin");
    } else {
      Snapshot oldest = SnapshotUtil.oldestAncestor(table);
      Preconditions.checkArgument(
          oldest != null && oldest.timestampMillis() <= asOf.toEpochMilli(),
          "No snapshot as of %s is kept (the oldest is from %s): pin datasets when they are made",
          asOf,
          oldest == null ? "never" : Instant.ofEpochMilli(oldest.timestampMillis()));
      snapshot = table.snapshot(SnapshotUtil.snapshotIdAsOfTime(table, asOf.toEpochMilli()));
    }
    var update = table.manageSnapshots().createTag(name, snapshot.snapshotId());
    if (retention != null) {
      update.setMaxRefAgeMs(name, retention.toMillis());
    }
    update.commit();
    return new Dataset(
        name, snapshot.snapshotId(), Instant.ofEpochMilli(snapshot.timestampMillis()), retention);
  }

  /** Every dataset, oldest snapshot first. */
  public List<Dataset> list() {
    table.refresh();
    List<Dataset> datasets = new ArrayList<>();
    for (Map.Entry<String, SnapshotRef> entry : table.refs().entrySet()) {
      SnapshotRef ref = entry.getValue();
      if (ref.isTag()) {
        Snapshot snapshot = table.snapshot(ref.snapshotId());
        datasets.add(
            new Dataset(
                entry.getKey(),
                ref.snapshotId(),
                snapshot == null ? null : Instant.ofEpochMilli(snapshot.timestampMillis()),
                ref.maxRefAgeMs() == null ? null : Duration.ofMillis(ref.maxRefAgeMs())));
      }
    }
    datasets.sort(
        Comparator.comparing(
                Dataset::snapshotTime, Comparator.nullsFirst(Comparator.naturalOrder()))
            .thenComparing(Dataset::name));
    return datasets;
  }

  /** Drops a dataset; its snapshot and files go at the next maintenance run, unless kept else. */
  public void drop(String name) {
    table.refresh();
    SnapshotRef ref = table.refs().get(name);
    Preconditions.checkArgument(ref != null && ref.isTag(), "Unknown dataset: %s", name);
    table.manageSnapshots().removeTag(name).commit();
  }
}
