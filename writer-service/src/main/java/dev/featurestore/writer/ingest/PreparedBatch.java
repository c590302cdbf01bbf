package dev.featurestore.writer.ingest;

import dev.featurestore.api.FeatureRow;
import dev.featurestore.api.KafkaSource;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.kafka.common.TopicPartition;

/**
 * A polled micro-batch after validation and embedding, per source partition: what goes to the
 * table, what goes to the dead-letter topic, and the range of offsets it accounts for.
 */
record PreparedBatch(Instant processedAt, Map<TopicPartition, Slice> slices) {

  /** Records this batch accounts for. */
  int records() {
    int records = 0;
    for (Slice slice : slices.values()) {
      records += (int) (slice.endOffset() - slice.startOffset());
    }
    return records;
  }

  /**
   * This batch followed by {@code next}, as one (group commit while the committer is busy). Per
   * partition the slices are joined when contiguous; a tombstone in {@code next} drops the earlier
   * rows of its id, as it would have erased them. If {@code next} does not continue a partition
   * where this batch ends (the partition was sought back in between), this batch's slice is stale
   * and only {@code next}'s is kept. All rows take {@code next}'s processing time, so the merged
   * rows share one day partition.
   */
  PreparedBatch followedBy(PreparedBatch next) {
    Map<TopicPartition, Slice> merged = new java.util.LinkedHashMap<>();
    slices.forEach(
        (partition, slice) -> merged.put(partition, slice.restamped(next.processedAt())));
    next.slices().forEach((partition, slice) -> merged.merge(partition, slice, Slice::followedBy));
    return new PreparedBatch(next.processedAt(), merged);
  }

  /** A row and the record it came from. */
  record SourcedRow(FeatureRow row, KafkaSource source) {}

  /**
   * One partition's part of the batch.
   *
   * @param resumedAt where this writer resumed the partition: the table must end there if it never
   *     saw the partition
   * @param startOffset where this writer's consumer stood before the batch: the table must end here
   * @param endOffset the consumer position after the batch: the table's next offset once committed
   * @param rows rows to append, in offset order
   * @param tombstones doc ids to erase (rows of the same id that follow the tombstone in this slice
   *     are kept)
   * @param deadLetters records to dead-letter now
   * @param alreadyDeadLettered records that a previous attempt already dead-lettered
   */
  record Slice(
      TopicPartition partition,
      long resumedAt,
      long startOffset,
      long endOffset,
      List<SourcedRow> rows,
      Set<String> tombstones,
      List<DeadLetterChannel.DeadLetter> deadLetters,
      int alreadyDeadLettered) {

    Slice restamped(Instant processedAt) {
      List<SourcedRow> restamped = new java.util.ArrayList<>(rows.size());
      for (SourcedRow row : rows) {
        FeatureRow r = row.row();
        restamped.add(
            new SourcedRow(
                new FeatureRow(r.docId(), r.embedding(), r.model(), r.eventTime(), processedAt),
                row.source()));
      }
      return new Slice(
          partition,
          resumedAt,
          startOffset,
          endOffset,
          restamped,
          tombstones,
          deadLetters,
          alreadyDeadLettered);
    }

    Slice followedBy(Slice next) {
      if (next.startOffset() != endOffset) {
        return next;
      }
      List<SourcedRow> joinedRows = new java.util.ArrayList<>(rows.size() + next.rows().size());
      for (SourcedRow row : rows) {
        if (!next.tombstones().contains(row.row().docId())) {
          joinedRows.add(row);
        }
      }
      joinedRows.addAll(next.rows());
      Set<String> joinedTombstones = new java.util.HashSet<>(tombstones);
      joinedTombstones.addAll(next.tombstones());
      List<DeadLetterChannel.DeadLetter> joinedLetters = new java.util.ArrayList<>(deadLetters);
      joinedLetters.addAll(next.deadLetters());
      return new Slice(
          partition,
          resumedAt,
          startOffset,
          next.endOffset(),
          joinedRows,
          Set.copyOf(joinedTombstones),
          joinedLetters,
          alreadyDeadLettered + next.alreadyDeadLettered());
    }
  }
}
