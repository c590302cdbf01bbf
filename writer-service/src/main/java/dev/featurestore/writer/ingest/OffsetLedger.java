package dev.featurestore.writer.ingest;

import java.util.Collections;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeMap;
import org.apache.iceberg.Table;
import org.apache.kafka.common.TopicPartition;

/**
 * The Kafka positions the table has absorbed, kept in the table's properties, one key per source
 * partition and consumer group, written in the same Iceberg transaction as the batch's rows:
 *
 * <pre>
 * featurestore.kafka.next-offset.&lt;group&gt;.&lt;topic&gt;/&lt;partition&gt; = next source offset
 * featurestore.dlq.next-offset.&lt;group&gt;.&lt;topic&gt;/&lt;partition&gt;   = dead-letter partition end after this source's letters
 * </pre>
 *
 * Properties, unlike snapshot summaries, survive snapshot expiry and are not hidden by snapshots
 * that others commit (compaction, maintenance); and because each writer commits only the keys of
 * its own partitions, concurrent writers of different partitions never overwrite each other's
 * positions.
 */
public record OffsetLedger(
    String group,
    Map<TopicPartition, Long> nextOffsets,
    Map<TopicPartition, Long> deadLetterNextOffsets) {

  static final String OFFSETS_PREFIX = "featurestore.kafka.next-offset.";
  static final String DEAD_LETTER_PREFIX = "featurestore.dlq.next-offset.";
  static final String BATCH_KEY = "featurestore.kafka.batch";
  static final String GROUP_KEY = "featurestore.kafka.group";

  public OffsetLedger {
    nextOffsets = Collections.unmodifiableMap(sorted(nextOffsets));
    deadLetterNextOffsets = Collections.unmodifiableMap(sorted(deadLetterNextOffsets));
  }

  public static OffsetLedger empty(String group) {
    return new OffsetLedger(group, Map.of(), Map.of());
  }

  /** The ledger in the table's current metadata (refresh the table first for the latest). */
  public static OffsetLedger read(Table table, String group) {
    return new OffsetLedger(
        group,
        decode(table.properties(), OFFSETS_PREFIX + group + "."),
        decode(table.properties(), DEAD_LETTER_PREFIX + group + "."));
  }

  /**
   * The next offset the table expects for {@code partition}, or null if it never saw the partition.
   */
  public Long next(TopicPartition partition) {
    return nextOffsets.get(partition);
  }

  /**
   * Where to start reading the dead-letter topic for {@code source}'s letters, or null: from the
   * beginning.
   */
  public Long deadLetterNext(TopicPartition source) {
    return deadLetterNextOffsets.get(source);
  }

  /**
   * Table properties that move these partitions forward (only these: other writers' keys are left
   * alone).
   */
  static Map<String, String> properties(
      String group, Map<TopicPartition, Long> next, Map<TopicPartition, Long> deadLetterNext) {
    Map<String, String> properties = new LinkedHashMap<>();
    next.forEach(
        (partition, offset) ->
            properties.put(OFFSETS_PREFIX + group + "." + key(partition), Long.toString(offset)));
    deadLetterNext.forEach(
        (partition, offset) ->
            properties.put(
                DEAD_LETTER_PREFIX + group + "." + key(partition), Long.toString(offset)));
    return properties;
  }

  /** {@code topic/partition}; Kafka topic names cannot contain '/'. */
  static String key(TopicPartition partition) {
    return partition.topic() + "/" + partition.partition();
  }

  private static Map<TopicPartition, Long> decode(Map<String, String> properties, String prefix) {
    Map<TopicPartition, Long> offsets = new LinkedHashMap<>();
    properties.forEach(
        (key, value) -> {
          if (key.startsWith(prefix)) {
            String partition = key.substring(prefix.length());
            int slash = partition.lastIndexOf('/');
            if (slash <= 0) {
              throw new IllegalArgumentException("Invalid offset ledger key: " + key);
            }
            offsets.put(
                new TopicPartition(
                    partition.substring(0, slash),
                    Integer.parseInt(partition.substring(slash + 1))),
                Long.parseLong(value));
          }
        });
    return offsets;
  }

  private static Map<TopicPartition, Long> sorted(Map<TopicPartition, Long> offsets) {
    Map<TopicPartition, Long> copy =
        new TreeMap<>(
            Comparator.comparing(TopicPartition::topic)
                .thenComparingInt(TopicPartition::partition));
    copy.putAll(offsets);
    return copy;
  }
}
