package dev.featurestore.writer.ingest;

import java.util.Collection;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;

/**
 * How far the table is behind Kafka, over the partitions this writer owns: per partition, where the
 * log ends minus the next offset the table holds. Unlike the consumer's own lag (which counts from
 * what was fetched), this counts records read but still being embedded or committed, so it is the
 * lag a training job or the replicator sees.
 *
 * <p>Updated by the consumer thread, read by metric scrapes.
 */
final class ConsumerLag {

  private final Map<TopicPartition, Long> tableNext = new ConcurrentHashMap<>();
  private final Map<TopicPartition, Long> logEnd = new ConcurrentHashMap<>();

  /** The partition was positioned where the table's ledger says it ends. */
  void resumed(TopicPartition partition, long next) {
    tableNext.put(partition, next);
    logEnd.merge(partition, next, Math::max);
  }

  /**
   * The partition is owned but not yet positioned from the table's ledger: {@code next} (the
   * group's committed offset, which mirrors the table's) stands in until {@link #resumed} gives the
   * table's own.
   */
  void estimated(TopicPartition partition, long next) {
    tableNext.putIfAbsent(partition, next);
  }

  /** The partitions of {@code owned} with no known table position yet. */
  Set<TopicPartition> unknown(Set<TopicPartition> owned) {
    Set<TopicPartition> unknown = new HashSet<>(owned);
    unknown.removeAll(tableNext.keySet());
    return unknown;
  }

  /** A batch was committed to the table, up to (not including) these offsets. */
  void committed(Map<TopicPartition, OffsetAndMetadata> offsets) {
    offsets.forEach(
        (partition, offset) ->
            tableNext.computeIfPresent(partition, (p, next) -> Math.max(next, offset.offset())));
  }

  /**
   * Everything this writer read of the partition, up to {@code position}, is in the table or needs
   * no row: offsets without a record (transaction markers, aborted records) count as done.
   */
  void drained(TopicPartition partition, long position) {
    tableNext.computeIfPresent(partition, (p, next) -> Math.max(next, position));
  }

  /** The partition's log ends at {@code end} (its last stable offset under read_committed). */
  void logEnd(TopicPartition partition, long end) {
    if (tableNext.containsKey(partition)) {
      logEnd.put(partition, end);
    }
  }

  void released(Collection<TopicPartition> partitions) {
    partitions.forEach(
        partition -> {
          tableNext.remove(partition);
          logEnd.remove(partition);
        });
  }

  /** Records behind, summed over the owned partitions. */
  double total() {
    long total = 0;
    for (Map.Entry<TopicPartition, Long> next : tableNext.entrySet()) {
      Long end = logEnd.get(next.getKey());
      if (end != null) {
        total += Math.max(0, end - next.getValue());
      }
    }
    return total;
  }
}
