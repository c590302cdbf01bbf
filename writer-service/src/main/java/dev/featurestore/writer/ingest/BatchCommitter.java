package dev.featurestore.writer.ingest;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.apache.iceberg.DataFile;
import org.apache.iceberg.DeleteFile;
import org.apache.iceberg.HasTableOperations;
import org.apache.iceberg.ManifestFiles;
import org.apache.iceberg.ManifestWriter;
import org.apache.iceberg.RowDelta;
import org.apache.iceberg.Snapshot;
import org.apache.iceberg.Table;
import org.apache.iceberg.TableMetadataParser;
import org.apache.iceberg.Transaction;
import org.apache.iceberg.UpdateProperties;
import org.apache.iceberg.exceptions.CommitFailedException;
import org.apache.iceberg.exceptions.CommitStateUnknownException;
import org.apache.iceberg.exceptions.ValidationException;
import org.apache.iceberg.expressions.Expressions;
import org.apache.iceberg.io.OutputFile;
import org.apache.kafka.common.TopicPartition;

/**
 * Commits a batch to the table exactly once per Kafka offset: its rows, deletions and erasures (one
 * {@code RowDelta} snapshot) and its partitions' new positions (table properties, see {@link
 * OffsetLedger}) in one Iceberg transaction.
 *
 * <p>Before each attempt the committer reads the ledger and keeps only the slices that start
 * exactly where the table says their partition ends (for a partition the table never saw: where
 * this writer resumed it); any other slice belongs to a writer that took the partition over, or
 * follows a batch that failed, and is dropped. The {@code RowDelta} validates that no file was
 * added since the ledger was read; if another writer committed in between, the attempt fails and
 * the check runs again on the new state.
 *
 * <p>Dead letters are published between the check and the commit, only for accepted slices and only
 * for offsets the table has not absorbed: a fenced slice never sends any.
 */
final class BatchCommitter {

  private static final int MAX_ATTEMPTS = 200;

  /**
   * What became of a batch: the partitions committed and those fenced off (with where the table
   * ends).
   */
  record Outcome(Set<TopicPartition> committed, Map<TopicPartition, Long> fencedAt) {}

  /**
   * Publishes the dead letters of accepted slices; returns each source partition's dead-letter end
   * offset.
   */
  interface DeadLetterStep {
    Map<TopicPartition, Long> publish(List<PreparedBatch.Slice> accepted);
  }

  private final Table table;
  private final String group;
  private final FeatureFiles files;
  private final Counter retries;
  private final Counter fenced;
  private final Timer commitTime;
  private final Timer refreshTime;
  private final Timer filesTime;
  private final Timer icebergCommitTime;

  BatchCommitter(Table table, String group, MeterRegistry meters) {
    this.table = table;
    this.group = group;
    this.files = new FeatureFiles(table);
    this.retries = meters.counter("featurestore.writer.commit.retries");
    this.fenced = meters.counter("featurestore.writer.slices.fenced");
    this.commitTime = meters.timer("featurestore.writer.commit.time");
    // where a commit's time goes: reading the table state, writing Parquet, the Iceberg metadata
    // commit
    this.refreshTime = meters.timer("featurestore.writer.commit.phase", "phase", "refresh");
    this.filesTime = meters.timer("featurestore.writer.commit.phase", "phase", "files");
    this.icebergCommitTime = meters.timer("featurestore.writer.commit.phase", "phase", "metadata");
  }

  /**
   * Runs the commit path once without committing: reads the table and its ledger, writes a one-row
   * Parquet data file, an erasure file and a manifest naming them (then deletes all three), and
   * serializes the table metadata. The first commit after a start spent ~2 s loading these code
   * paths; a writer reports ready only after this.
   */
  void warmUp(PreparedBatch.SourcedRow row) {
    table.refresh();
    OffsetLedger.read(table, group);
    DataFile dataFile = files.writeRows(List.of(row));
    DeleteFile deleteFile = files.writeErasures(List.of(row.row().docId()));
    OutputFile manifest =
        table
            .io()
            .newOutputFile(
                table
                    .locationProvider()
                    .newDataLocation("warm-up-" + UUID.randomUUID() + "-m0.avro"));
    try {
      ManifestWriter<DataFile> writer = ManifestFiles.write(2, table.spec(), manifest, null);
      try (writer) {
        writer.add(dataFile);
      }
    } catch (IOException e) {
      throw new UncheckedIOException("Cannot write warm-up manifest " + manifest.location(), e);
    } finally {
      table.io().deleteFile(manifest.location());
      files.discard(dataFile, deleteFile);
    }
    if (table instanceof HasTableOperations operations) {
      TableMetadataParser.toJson(operations.operations().current());
    }
  }

  Outcome commit(PreparedBatch batch, DeadLetterStep deadLetters) {
    return commitTime.record(() -> commitWithRetries(batch, deadLetters));
  }

  private Outcome commitWithRetries(PreparedBatch batch, DeadLetterStep deadLetters) {
    Set<TopicPartition> writtenFor = null;
    DataFile dataFile = null;
    DeleteFile deleteFile = null;
    Map<TopicPartition, Long> deadLetterNext = new LinkedHashMap<>();
    Set<TopicPartition> published = new LinkedHashSet<>();
    boolean outcomeUnknown = false;
    for (int attempt = 1; attempt <= MAX_ATTEMPTS; attempt++) {
      long refreshStart = System.nanoTime();
      table.refresh();
      Snapshot base = table.currentSnapshot();
      OffsetLedger ledger = OffsetLedger.read(table, group);
      refreshTime.record(System.nanoTime() - refreshStart, TimeUnit.NANOSECONDS);
      List<PreparedBatch.Slice> accepted = new ArrayList<>();
      Map<TopicPartition, Long> fencedAt = new LinkedHashMap<>();
      for (PreparedBatch.Slice slice : batch.slices().values()) {
        Long next = ledger.next(slice.partition());
        long expected = next != null ? next : slice.resumedAt();
        if (expected == slice.startOffset()) {
          accepted.add(slice);
        } else {
          fencedAt.put(slice.partition(), expected);
        }
      }
      Set<TopicPartition> acceptedPartitions = new LinkedHashSet<>();
      accepted.forEach(slice -> acceptedPartitions.add(slice.partition()));
      if (accepted.isEmpty()) {
        fenced.increment(fencedAt.size());
        if (!outcomeUnknown) {
          files.discard(dataFile, deleteFile);
        }
        return new Outcome(Set.of(), fencedAt);
      }
      List<PreparedBatch.Slice> unpublished =
          accepted.stream().filter(slice -> !published.contains(slice.partition())).toList();
      if (!unpublished.isEmpty()) {
        deadLetterNext.putAll(deadLetters.publish(unpublished));
        unpublished.forEach(slice -> published.add(slice.partition()));
      }
      if (!acceptedPartitions.equals(writtenFor)) {
        if (!outcomeUnknown) {
          files.discard(dataFile, deleteFile);
        }
        List<PreparedBatch.SourcedRow> rows = new ArrayList<>();
        Set<String> erasures = new LinkedHashSet<>();
        for (PreparedBatch.Slice slice : accepted) {
          rows.addAll(slice.rows());
          erasures.addAll(slice.erasures());
        }
        long filesStart = System.nanoTime();
        dataFile = rows.isEmpty() ? null : files.writeRows(rows);
        deleteFile = erasures.isEmpty() ? null : files.writeErasures(erasures);
        filesTime.record(System.nanoTime() - filesStart, TimeUnit.NANOSECONDS);
        writtenFor = acceptedPartitions;
        outcomeUnknown = false;
      }
      Map<TopicPartition, Long> next = new LinkedHashMap<>();
      accepted.forEach(slice -> next.put(slice.partition(), slice.endOffset()));
      Map<TopicPartition, Long> deadLetterEnds = new LinkedHashMap<>(deadLetterNext);
      deadLetterEnds.keySet().retainAll(acceptedPartitions);
      long commitStart = System.nanoTime();
      try {
        Transaction transaction = table.newTransaction();
        if (dataFile != null || deleteFile != null) {
          RowDelta delta = transaction.newRowDelta();
          if (dataFile != null) {
            delta.addRows(dataFile);
          }
          if (deleteFile != null) {
            delta.addDeletes(deleteFile);
          }
          delta.set(OffsetLedger.GROUP_KEY, group);
          delta.set(OffsetLedger.BATCH_KEY, ranges(accepted));
          if (base != null) {
            delta
                .validateFromSnapshot(base.snapshotId())
                .conflictDetectionFilter(Expressions.alwaysTrue())
                .validateNoConflictingDataFiles()
                .validateNoConflictingDeleteFiles();
          }
          delta.commit();
        }
        UpdateProperties positions = transaction.updateProperties();
        OffsetLedger.properties(group, next, deadLetterEnds).forEach(positions::set);
        positions.commit();
        transaction.commitTransaction();
        icebergCommitTime.record(System.nanoTime() - commitStart, TimeUnit.NANOSECONDS);
        fenced.increment(fencedAt.size());
        return new Outcome(acceptedPartitions, fencedAt);
      } catch (CommitStateUnknownException e) {
        // it may have landed: the next check tells (its slices would then be behind the ledger);
        // its files stay
        outcomeUnknown = true;
        retries.increment();
      } catch (ValidationException | CommitFailedException e) {
        // another writer committed since `base`: check the ledger again on the new state
        retries.increment();
      }
    }
    throw new IllegalStateException(
        "Batch not committed after " + MAX_ATTEMPTS + " attempts of optimistic concurrency");
  }

  private static String ranges(List<PreparedBatch.Slice> slices) {
    StringBuilder ranges = new StringBuilder();
    for (PreparedBatch.Slice slice : slices) {
      ranges
          .append(ranges.length() == 0 ? "" : ",")
          .append(OffsetLedger.key(slice.partition()))
          .append('=')
          .append(slice.startOffset())
          .append('-')
          .append(slice.endOffset());
    }
    return ranges.toString();
  }
}
