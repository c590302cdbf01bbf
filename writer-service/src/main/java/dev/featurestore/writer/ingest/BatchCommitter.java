package dev.featurestore.writer.ingest;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.iceberg.DataFile;
import org.apache.iceberg.DeleteFile;
import org.apache.iceberg.RowDelta;
import org.apache.iceberg.Snapshot;
import org.apache.iceberg.Table;
import org.apache.iceberg.exceptions.CommitFailedException;
import org.apache.iceberg.exceptions.CommitStateUnknownException;
import org.apache.iceberg.exceptions.ValidationException;
import org.apache.iceberg.expressions.Expressions;
import org.apache.kafka.common.TopicPartition;

/**
 * Commits a batch to the table as one snapshot, exactly once per Kafka offset.
 *
 * <p>Before each attempt the committer reads the {@link OffsetLedger} of the table's current snapshot and keeps only
 * the partitions whose slice starts exactly where the ledger says the partition ends; any other partition belongs to
 * a writer that took it over (rebalance, pause, zombie) and its slice is dropped. The commit then validates that no
 * file was added since that snapshot: if another writer committed in between, the attempt fails and the check runs
 * again on the new state. Ledger check and commit are therefore one atomic step, without a coordinator.
 */
final class BatchCommitter {

  private static final int MAX_ATTEMPTS = 200;

  /** What became of a batch: the partitions committed (with the snapshot) and those fenced off. */
  record Outcome(Long snapshotId, Set<TopicPartition> committed, Map<TopicPartition, Long> fencedAt) {}

  private final Table table;
  private final String group;
  private final FeatureFiles files;
  private final Counter retries;
  private final Counter fenced;
  private final Timer commitTime;

  BatchCommitter(Table table, String group, MeterRegistry meters) {
    this.table = table;
    this.group = group;
    this.files = new FeatureFiles(table);
    this.retries = meters.counter("featurestore.writer.commit.retries");
    this.fenced = meters.counter("featurestore.writer.slices.fenced");
    this.commitTime = meters.timer("featurestore.writer.commit.time");
  }

  /** The table's ledger now. */
  OffsetLedger ledger() {
    table.refresh();
    return OffsetLedger.read(table, table.currentSnapshot(), group);
  }

  Outcome commit(PreparedBatch batch, Map<TopicPartition, Long> deadLetterNext) {
    return commitTime.record(() -> commitWithRetries(batch, deadLetterNext));
  }

  private Outcome commitWithRetries(PreparedBatch batch, Map<TopicPartition, Long> deadLetterNext) {
    Set<TopicPartition> writtenFor = null;
    DataFile dataFile = null;
    DeleteFile deleteFile = null;
    for (int attempt = 1; attempt <= MAX_ATTEMPTS; attempt++) {
      table.refresh();
      Snapshot base = table.currentSnapshot();
      OffsetLedger ledger = OffsetLedger.read(table, base, group);
      Set<TopicPartition> accepted = new LinkedHashSet<>();
      Map<TopicPartition, Long> fencedAt = new LinkedHashMap<>();
      for (PreparedBatch.Slice slice : batch.slices().values()) {
        Long expected = ledger.next(slice.partition());
        if (expected == null || expected == slice.startOffset()) {
          accepted.add(slice.partition());
        } else {
          fencedAt.put(slice.partition(), expected);
        }
      }
      fenced.increment(fencedAt.size());
      if (accepted.isEmpty()) {
        files.discard(dataFile, deleteFile);
        return new Outcome(null, Set.of(), fencedAt);
      }
      if (!accepted.equals(writtenFor)) {
        files.discard(dataFile, deleteFile);
        List<PreparedBatch.SourcedRow> rows = new ArrayList<>();
        Set<String> tombstones = new LinkedHashSet<>();
        for (TopicPartition partition : accepted) {
          rows.addAll(batch.slices().get(partition).rows());
          tombstones.addAll(batch.slices().get(partition).tombstones());
        }
        dataFile = rows.isEmpty() ? null : files.writeRows(rows);
        deleteFile = tombstones.isEmpty() ? null : files.writeTombstones(tombstones);
        writtenFor = accepted;
      }
      Map<TopicPartition, Long> next = new LinkedHashMap<>();
      StringBuilder ranges = new StringBuilder();
      for (TopicPartition partition : accepted) {
        PreparedBatch.Slice slice = batch.slices().get(partition);
        next.put(partition, slice.endOffset());
        ranges.append(ranges.length() == 0 ? "" : ",").append(partition.topic()).append('/').append(partition.partition())
            .append('=').append(slice.startOffset()).append('-').append(slice.endOffset());
      }
      RowDelta delta = table.newRowDelta();
      if (dataFile != null) {
        delta.addRows(dataFile);
      }
      if (deleteFile != null) {
        delta.addDeletes(deleteFile);
      }
      ledger.advance(next, deadLetterNext).summary().forEach(delta::set);
      delta.set(OffsetLedger.BATCH_KEY, ranges.toString());
      if (base != null) {
        delta.validateFromSnapshot(base.snapshotId())
            .conflictDetectionFilter(Expressions.alwaysTrue())
            .validateNoConflictingDataFiles()
            .validateNoConflictingDeleteFiles();
      }
      try {
        delta.commit();
        return new Outcome(table.currentSnapshot().snapshotId(), accepted, fencedAt);
      } catch (ValidationException | CommitFailedException | CommitStateUnknownException e) {
        // another writer committed since `base`, or we cannot tell whether we did: the ledger check on the new
        // state decides (a commit of ours that did land shows up as this batch's slices being behind the ledger)
        retries.increment();
      }
    }
    throw new IllegalStateException("Batch not committed after " + MAX_ATTEMPTS + " attempts of optimistic concurrency");
  }
}
