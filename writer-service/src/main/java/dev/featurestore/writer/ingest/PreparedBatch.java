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
   * partition the slices are joined when contiguous; a deletion or erasure in {@code next} drops
   * the earlier rows of its id (an erasure would not reach rows of its own commit, and a deletion
   * supersedes rows that share its processing time). If {@code next} does not continue a partition
   * where this batch ends (the partition was sought back in between), this batch's slice is stale
   * and only {@code next}'s is kept. The rows keep their times: the hand-off to the committer
   * stamps the whole batch once ({@link #restamped}), so the rows of a commit share one time and
   * one day partition.
   */
  PreparedBatch followedBy(PreparedBatch next) {
    Map<TopicPartition, Slice> merged = new java.util.LinkedHashMap<>(slices);
    next.slices().forEach((partition, slice) -> merged.merge(partition, slice, Slice::followedBy));
    return new PreparedBatch(next.processedAt(), merged);
  }

  /**
   * This batch with every row processed at {@code time}: the writer stamps a batch when it hands it
   * to the committer, so that a version's time in training sets is as close to its commit as a time
   * written into the data file can be.
   */
  PreparedBatch restamped(Instant time) {
    Map<TopicPartition, Slice> restamped = new java.util.LinkedHashMap<>();
    slices.forEach((partition, slice) -> restamped.put(partition, slice.restamped(time)));
    return new PreparedBatch(time, restamped);
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
   * @param rows rows to append, deletions among them, in offset order
   * @param erasures doc ids whose history to erase (rows of the same id that follow the erasure in
   *     this slice are kept)
   * @param deadLetters records to dead-letter now
   * @param alreadyDeadLettered records that a previous attempt already dead-lettered
   */
  record Slice(
      TopicPartition partition,
      long resumedAt,
      long startOffset,
      long endOffset,
      List<SourcedRow> rows,
      Set<String> erasures,
      List<DeadLetterChannel.DeadLetter> deadLetters,
      int alreadyDeadLettered) {

    Slice restamped(Instant processedAt) {
      List<SourcedRow> restamped = new java.util.ArrayList<>(rows.size());
      for (SourcedRow row : rows) {
        restamped.add(new SourcedRow(row.row().processedAt(processedAt), row.source()));
      }
      return new Slice(
          partition,
          resumedAt,
          startOffset,
          endOffset,
          restamped,
          erasures,
          deadLetters,
          alreadyDeadLettered);
    }

    Slice followedBy(Slice next) {
      if (next.startOffset() != endOffset) {
        return next;
      }
      List<SourcedRow> joinedRows = new java.util.ArrayList<>(rows.size() + next.rows().size());
      Set<String> superseded = new java.util.HashSet<>(next.erasures());
      for (SourcedRow row : next.rows()) {
        if (row.row().deleted()) {
          superseded.add(row.row().docId());
        }
      }
      for (SourcedRow row : rows) {
        if (!superseded.contains(row.row().docId())) {
          joinedRows.add(row);
        }
      }
      joinedRows.addAll(next.rows());
      Set<String> joinedErasures = new java.util.HashSet<>(erasures);
      joinedErasures.addAll(next.erasures());
      List<DeadLetterChannel.DeadLetter> joinedLetters = new java.util.ArrayList<>(deadLetters);
      joinedLetters.addAll(next.deadLetters());
      return new Slice(
          partition,
          resumedAt,
          startOffset,
          next.endOffset(),
          joinedRows,
          Set.copyOf(joinedErasures),
          joinedLetters,
          alreadyDeadLettered + next.alreadyDeadLettered());
    }
  }
}
