package dev.featurestore.writer.ingest;

import java.util.Collections;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeMap;
import org.apache.iceberg.Snapshot;
import org.apache.iceberg.Table;
import org.apache.kafka.common.TopicPartition;

/**
 * The Kafka positions the table has absorbed, kept in Iceberg snapshot summaries: for a consumer group, the next
 * offset of every source partition, and the end of every dead-letter partition at the time of the commit.
 *
 * <p>Every writer commit stores the whole map (its own partitions merged into what its parent snapshot held), so
 * the newest snapshot that carries the group's key is enough to resume from. Snapshots made by others
 * (compaction, maintenance, other groups) carry no key, so reading walks back through ancestors.
 */
public record OffsetLedger(String group, Map<TopicPartition, Long> nextOffsets, Map<TopicPartition, Long> deadLetterNextOffsets) {

  static final String OFFSETS_KEY_PREFIX = "featurestore.kafka.offsets.";
  static final String DEAD_LETTER_KEY_PREFIX = "featurestore.dlq.offsets.";
  static final String GROUP_KEY = "featurestore.kafka.group";
  static final String BATCH_KEY = "featurestore.kafka.batch";

  public OffsetLedger {
    nextOffsets = Collections.unmodifiableMap(sorted(nextOffsets));
    deadLetterNextOffsets = Collections.unmodifiableMap(sorted(deadLetterNextOffsets));
  }

  public static OffsetLedger empty(String group) {
    return new OffsetLedger(group, Map.of(), Map.of());
  }

  /** The ledger as of {@code snapshot} (null: an empty table). */
  public static OffsetLedger read(Table table, Snapshot snapshot, String group) {
    for (Snapshot s = snapshot; s != null; s = s.parentId() == null ? null : table.snapshot(s.parentId())) {
      String offsets = s.summary().get(OFFSETS_KEY_PREFIX + group);
      if (offsets != null) {
        return new OffsetLedger(group, decode(offsets), decode(s.summary().getOrDefault(DEAD_LETTER_KEY_PREFIX + group, "")));
      }
    }
    return empty(group);
  }

  /** The next offset the table expects for {@code partition}, or null if it never saw the partition. */
  public Long next(TopicPartition partition) {
    return nextOffsets.get(partition);
  }

  public Long deadLetterNext(TopicPartition deadLetterPartition) {
    return deadLetterNextOffsets.get(deadLetterPartition);
  }

  /** This ledger moved forward by one batch. */
  public OffsetLedger advance(Map<TopicPartition, Long> next, Map<TopicPartition, Long> deadLetterNext) {
    Map<TopicPartition, Long> offsets = new LinkedHashMap<>(nextOffsets);
    offsets.putAll(next);
    Map<TopicPartition, Long> deadLetters = new LinkedHashMap<>(deadLetterNextOffsets);
    deadLetterNext.forEach((partition, offset) -> deadLetters.merge(partition, offset, Math::max));
    return new OffsetLedger(group, offsets, deadLetters);
  }

  /** Snapshot summary entries that record this ledger. */
  public Map<String, String> summary() {
    Map<String, String> summary = new LinkedHashMap<>();
    summary.put(GROUP_KEY, group);
    summary.put(OFFSETS_KEY_PREFIX + group, encode(nextOffsets));
    summary.put(DEAD_LETTER_KEY_PREFIX + group, encode(deadLetterNextOffsets));
    return summary;
  }

  /** {@code topic/partition=offset,...}; Kafka topic names cannot contain '/', ',' or '='. */
  static String encode(Map<TopicPartition, Long> offsets) {
    StringBuilder out = new StringBuilder();
    offsets.forEach(
        (partition, offset) -> {
          if (out.length() > 0) {
            out.append(',');
          }
          out.append(partition.topic()).append('/').append(partition.partition()).append('=').append(offset);
        });
    return out.toString();
  }

  static Map<TopicPartition, Long> decode(String encoded) {
    Map<TopicPartition, Long> offsets = new LinkedHashMap<>();
    if (encoded == null || encoded.isEmpty()) {
      return offsets;
    }
    for (String entry : encoded.split(",")) {
      int slash = entry.lastIndexOf('/');
      int equals = entry.lastIndexOf('=');
      if (slash <= 0 || equals < slash) {
        throw new IllegalArgumentException("Invalid offset ledger entry: " + entry);
      }
      offsets.put(
          new TopicPartition(entry.substring(0, slash), Integer.parseInt(entry.substring(slash + 1, equals))),
          Long.parseLong(entry.substring(equals + 1)));
    }
    return offsets;
  }

  private static Map<TopicPartition, Long> sorted(Map<TopicPartition, Long> offsets) {
    Map<TopicPartition, Long> copy =
        new TreeMap<>(Comparator.comparing(TopicPartition::topic).thenComparingInt(TopicPartition::partition));
    copy.putAll(offsets);
    return copy;
  }
}
