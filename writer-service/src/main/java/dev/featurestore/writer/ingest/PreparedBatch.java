package dev.featurestore.writer.ingest;

import dev.featurestore.common.FeatureRow;
import dev.featurestore.common.KafkaSource;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.kafka.common.TopicPartition;

/**
 * A polled micro-batch after validation and embedding, per source partition: what goes to the table, what goes to
 * the dead-letter topic, and the range of offsets it accounts for.
 */
record PreparedBatch(Instant processedAt, Map<TopicPartition, Slice> slices) {

  /** A row and the record it came from. */
  record SourcedRow(FeatureRow row, KafkaSource source) {}

  /**
   * One partition's part of the batch.
   *
   * @param resumedAt where this writer resumed the partition: the table must end there if it never saw the partition
   * @param startOffset where this writer's consumer stood before the batch: the table must end here
   * @param endOffset the consumer position after the batch: the table's next offset once committed
   * @param rows rows to append, in offset order
   * @param tombstones doc ids to erase (rows of the same id that follow the tombstone in this slice are kept)
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

    boolean changesTable() {
      return !rows.isEmpty() || !tombstones.isEmpty();
    }
  }
}
