package dev.featurestore.writer.ingest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.tuple;

import dev.featurestore.api.FeatureRow;
import dev.featurestore.api.KafkaSource;
import dev.featurestore.testing.FeatureRows;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.Test;

/** Group commit: joining a waiting batch with the next one. */
class PreparedBatchTest {

  private static final TopicPartition P0 = new TopicPartition("documents", 0);
  private static final TopicPartition P1 = new TopicPartition("documents", 1);
  private static final Instant FIRST = Instant.parse("2026-11-25T23:59:59.900Z");
  private static final Instant SECOND = Instant.parse("2026-11-26T00:00:00.100Z");

  @Test
  void contiguousSlicesJoinAndShareOneProcessingTimeOnceHandedOff() {
    PreparedBatch joined =
        batch(FIRST, slice(P0, 0, 2, Set.of(), "a", "b"))
            .followedBy(batch(SECOND, slice(P0, 2, 4, Set.of(), "c", "d")));

    PreparedBatch.Slice slice = joined.slices().get(P0);
    assertThat(slice.startOffset()).isZero();
    assertThat(slice.endOffset()).isEqualTo(4);
    assertThat(slice.rows()).extracting(r -> r.row().docId()).containsExactly("a", "b", "c", "d");
    assertThat(joined.restamped(SECOND).slices().get(P0).rows())
        .allSatisfy(
            r -> assertThat(r.row().processedAt()).as("one day partition").isEqualTo(SECOND));
    assertThat(joined.records()).isEqualTo(4);
  }

  @Test
  void aLaterErasureDropsEarlierRowsOfItsId() {
    PreparedBatch joined =
        batch(FIRST, slice(P0, 0, 2, Set.of(), "a", "b"))
            .followedBy(batch(SECOND, slice(P0, 2, 4, Set.of("a"), "e")));

    PreparedBatch.Slice slice = joined.slices().get(P0);
    assertThat(slice.rows()).extracting(r -> r.row().docId()).containsExactly("b", "e");
    assertThat(slice.erasures()).containsExactly("a");
  }

  @Test
  void aLaterDeletionDropsEarlierRowsOfItsIdAndStaysADeletionWhenRestamped() {
    PreparedBatch.SourcedRow deletion =
        new PreparedBatch.SourcedRow(
            FeatureRow.deletion("a", FeatureRows.row("a", 0, FIRST).model(), FIRST, FIRST),
            KafkaSource.of(P0.topic(), P0.partition(), 2));
    PreparedBatch.Slice deletes =
        new PreparedBatch.Slice(P0, 0, 2, 3, List.of(deletion), Set.of(), List.of(), 0);
    PreparedBatch joined =
        batch(FIRST, slice(P0, 0, 2, Set.of(), "a", "b"))
            .followedBy(batch(FIRST, deletes))
            .followedBy(batch(SECOND, slice(P0, 3, 4, Set.of(), "c")));

    PreparedBatch.Slice slice = joined.restamped(SECOND).slices().get(P0);
    assertThat(slice.rows())
        .extracting(r -> r.row().docId(), r -> r.row().deleted(), r -> r.row().processedAt())
        .containsExactly(
            tuple("b", false, SECOND), tuple("a", true, SECOND), tuple("c", false, SECOND));
  }

  @Test
  void aSliceThatDoesNotContinueReplacesTheStaleOneAndOtherPartitionsAreKept() {
    PreparedBatch joined =
        batch(FIRST, slice(P0, 0, 2, Set.of(), "a", "b"), slice(P1, 5, 6, Set.of(), "x"))
            .followedBy(batch(SECOND, slice(P0, 0, 1, Set.of(), "a")));

    assertThat(joined.slices().get(P0).endOffset()).isEqualTo(1);
    assertThat(joined.slices().get(P0).rows()).hasSize(1);
    assertThat(joined.slices().get(P1).rows())
        .extracting(r -> r.row().docId())
        .containsExactly("x");
  }

  /** A batch as the preparer makes it: every row carries the batch's processing time. */
  private static PreparedBatch batch(Instant processedAt, PreparedBatch.Slice... slices) {
    Map<TopicPartition, PreparedBatch.Slice> map = new java.util.LinkedHashMap<>();
    for (PreparedBatch.Slice slice : slices) {
      map.put(slice.partition(), slice.restamped(processedAt));
    }
    return new PreparedBatch(processedAt, map);
  }

  private static PreparedBatch.Slice slice(
      TopicPartition partition, long start, long end, Set<String> tombstones, String... ids) {
    List<PreparedBatch.SourcedRow> rows = new java.util.ArrayList<>();
    for (int i = 0; i < ids.length; i++) {
      rows.add(
          new PreparedBatch.SourcedRow(
              FeatureRows.row(ids[i], i, FIRST),
              KafkaSource.of(partition.topic(), partition.partition(), start + i)));
    }
    return new PreparedBatch.Slice(partition, 0, start, end, rows, tombstones, List.of(), 0);
  }
}
