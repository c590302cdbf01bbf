package dev.featurestore.writer.ingest;

import static org.assertj.core.api.Assertions.assertThat;

import dev.featurestore.api.KafkaSource;
import dev.featurestore.iceberg.CatalogSettings;
import dev.featurestore.iceberg.FeatureTable;
import dev.featurestore.testing.FeatureRows;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.iceberg.Table;
import org.apache.iceberg.catalog.Catalog;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The ledger check and commit against a real Iceberg table (SQLite catalog, Parquet files), no
 * Kafka needed.
 */
class BatchCommitterTest {

  private static final String GROUP = "g";
  private static final TopicPartition P0 = new TopicPartition("documents", 0);
  private static final TopicPartition P1 = new TopicPartition("documents", 1);

  @TempDir Path stateDir;
  private Table table;
  private final List<TopicPartition> published = new ArrayList<>();
  private final BatchCommitter.DeadLetterStep deadLetters =
      accepted -> {
        Map<TopicPartition, Long> ends = new LinkedHashMap<>();
        accepted.forEach(
            slice -> {
              published.add(slice.partition());
              ends.put(slice.partition(), 1000L + slice.endOffset());
            });
        return ends;
      };

  @BeforeEach
  void createTable() {
    Catalog catalog = CatalogSettings.defaults().load(stateDir);
    table =
        FeatureTable.createOrLoad(catalog, FeatureTable.identifier(CatalogSettings.DEFAULT_TABLE));
  }

  @Test
  void committedSliceMovesTheLedgerAndTheNextMustStartThere() {
    BatchCommitter committer = new BatchCommitter(table, GROUP, new SimpleMeterRegistry());
    assertThat(committer.commit(batch(slice(P0, 0, 0, 3)), deadLetters).committed())
        .containsExactly(P0);
    assertThat(ledger().next(P0)).isEqualTo(3);
    assertThat(ledger().deadLetterNext(P0)).isEqualTo(1003);

    BatchCommitter.Outcome stale = committer.commit(batch(slice(P0, 0, 1, 4)), deadLetters);
    assertThat(stale.committed()).isEmpty();
    assertThat(stale.fencedAt()).containsEntry(P0, 3L);
    assertThat(committer.commit(batch(slice(P0, 0, 3, 5)), deadLetters).committed())
        .containsExactly(P0);
    assertThat(rowCount()).isEqualTo(5);
  }

  @Test
  void batchBehindAFailedOneIsFencedEvenWhenTheTableNeverSawThePartition() {
    BatchCommitter committer = new BatchCommitter(table, GROUP, new SimpleMeterRegistry());
    // batch [0,3) failed and never committed; the one behind it, [3,5), must not skip it
    BatchCommitter.Outcome outcome = committer.commit(batch(slice(P0, 0, 3, 5)), deadLetters);
    assertThat(outcome.fencedAt()).containsEntry(P0, 0L);
    assertThat(ledger().next(P0)).isNull();
    assertThat(rowCount()).isZero();
  }

  @Test
  void fencedSlicesSendNoDeadLettersAndOtherPartitionsStillCommit() {
    BatchCommitter committer = new BatchCommitter(table, GROUP, new SimpleMeterRegistry());
    committer.commit(batch(slice(P0, 0, 0, 2)), deadLetters);
    published.clear();

    BatchCommitter.Outcome outcome =
        committer.commit(batch(slice(P0, 0, 7, 9), slice(P1, 0, 0, 2)), deadLetters);

    assertThat(outcome.committed()).containsExactly(P1);
    assertThat(outcome.fencedAt()).containsOnlyKeys(P0);
    assertThat(published).containsExactly(P1);
    assertThat(ledger().nextOffsets()).containsEntry(P0, 2L).containsEntry(P1, 2L);
  }

  @Test
  void writersOfDifferentPartitionsNeverOverwriteEachOthersPositions() {
    BatchCommitter a = new BatchCommitter(table, GROUP, new SimpleMeterRegistry());
    Table other =
        FeatureTable.createOrLoad(
            CatalogSettings.defaults().load(stateDir),
            FeatureTable.identifier(CatalogSettings.DEFAULT_TABLE));
    BatchCommitter b = new BatchCommitter(other, GROUP, new SimpleMeterRegistry());
    a.commit(batch(slice(P0, 0, 0, 2)), deadLetters);
    // b's table object is stale; its commit (positions only: a dead-letter-only batch) must keep
    // P0's position
    b.commit(new PreparedBatch(Instant.now(), Map.of(P1, emptySlice(P1, 0, 4))), deadLetters);
    a.commit(batch(slice(P0, 0, 2, 3)), deadLetters);

    assertThat(ledger().nextOffsets()).containsEntry(P0, 3L).containsEntry(P1, 4L);
  }

  private OffsetLedger ledger() {
    table.refresh();
    return OffsetLedger.read(table, GROUP);
  }

  private long rowCount() {
    table.refresh();
    return table.currentSnapshot() == null
        ? 0
        : Long.parseLong(table.currentSnapshot().summary().get("total-records"));
  }

  private static PreparedBatch batch(PreparedBatch.Slice... slices) {
    Map<TopicPartition, PreparedBatch.Slice> map = new LinkedHashMap<>();
    for (PreparedBatch.Slice slice : slices) {
      map.put(slice.partition(), slice);
    }
    return new PreparedBatch(Instant.now(), map);
  }

  /** A slice of rows for offsets [start, end). */
  private static PreparedBatch.Slice slice(
      TopicPartition partition, long resumedAt, long start, long end) {
    Instant now = Instant.parse("2026-11-25T12:00:00Z");
    List<PreparedBatch.SourcedRow> rows = new ArrayList<>();
    for (long offset = start; offset < end; offset++) {
      rows.add(
          new PreparedBatch.SourcedRow(
              FeatureRows.row("d" + partition.partition() + "-" + offset, offset, now),
              KafkaSource.of(partition.topic(), partition.partition(), offset)));
    }
    return new PreparedBatch.Slice(partition, resumedAt, start, end, rows, Set.of(), List.of(), 0);
  }

  private static PreparedBatch.Slice emptySlice(TopicPartition partition, long start, long end) {
    return new PreparedBatch.Slice(partition, start, start, end, List.of(), Set.of(), List.of(), 0);
  }
}
