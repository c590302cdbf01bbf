package dev.featurestore.writer.ingest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.tuple;

import dev.featurestore.api.Embeddings;
import dev.featurestore.api.ModelId;
import dev.featurestore.writer.embedding.Embedder;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.Test;

/**
 * Routing and ordering rules of a batch, with a stand-in for the model (the model itself is tested
 * in ITs).
 */
class BatchPreparerTest {

  private static final TopicPartition P0 = new TopicPartition("documents", 0);
  private static final Instant NOW = Instant.parse("2026-11-25T12:00:00Z");

  /** Unit vectors, except for texts containing "poison", which get a NaN. */
  private final List<String> embedded = new ArrayList<>();

  private final Embedder embedder =
      new Embedder() {
        @Override
        public ModelId model() {
          return ModelId.of("fake", "sha256:00000000");
        }

        @Override
        public List<float[]> embed(List<String> texts) {
          embedded.addAll(texts);
          return texts.stream()
              .map(
                  text -> {
                    float[] v = new float[Embeddings.DIMENSION];
                    v[Math.floorMod(text.hashCode(), v.length)] =
                        text.contains("poison") ? Float.NaN : 1f;
                    return v;
                  })
              .toList();
        }
      };

  private final BatchPreparer preparer =
      new BatchPreparer(
          new DocumentParser(1024),
          embedder,
          Clock.fixed(NOW, ZoneOffset.UTC),
          new SimpleMeterRegistry().timer("t"));

  @Test
  void goodBadAndPoisonedRecordsAreRoutedAndTheRangeIsKept() {
    PreparedBatch batch =
        preparer.prepare(
            List.of(
                slice(
                    10,
                    15,
                    doc(10, "a", "first"),
                    bad(11),
                    doc(12, "b", "poison pill"),
                    doc(13, "c", "third"))),
            Map.of());

    PreparedBatch.Slice slice = batch.slices().get(P0);
    assertThat(slice.startOffset()).isEqualTo(10);
    assertThat(slice.endOffset()).isEqualTo(15);
    assertThat(slice.rows()).extracting(r -> r.row().docId()).containsExactly("a", "c");
    assertThat(slice.rows()).extracting(r -> r.source().offset()).containsExactly(10L, 13L);
    assertThat(slice.rows()).allSatisfy(r -> assertThat(r.row().processedAt()).isEqualTo(NOW));
    assertThat(slice.deadLetters())
        .extracting(d -> d.rejection().code())
        .containsExactlyInAnyOrder(Rejection.Code.NOT_JSON, Rejection.Code.INVALID_EMBEDDING);
    assertThat(slice.deadLetters())
        .filteredOn(d -> d.rejection().code() == Rejection.Code.INVALID_EMBEDDING)
        .singleElement()
        .satisfies(d -> assertThat(d.source().offset()).isEqualTo(12));
  }

  @Test
  void aDeletionIsARowThatSupersedesEarlierRowsOfItsIdAndLaterRowsSupersedeIt() {
    PreparedBatch batch =
        preparer.prepare(
            List.of(
                slice(
                    0,
                    5,
                    doc(0, "x", "old x"),
                    doc(1, "y", "y"),
                    tombstone(2, "x"),
                    doc(3, "x", "new x"),
                    tombstone(4, "z"))),
            Map.of());

    PreparedBatch.Slice slice = batch.slices().get(P0);
    assertThat(slice.erasures()).isEmpty();
    assertThat(slice.rows())
        .extracting(r -> r.source().offset(), r -> r.row().docId(), r -> r.row().deleted())
        .containsExactly(
            tuple(1L, "y", false),
            tuple(2L, "x", true),
            tuple(3L, "x", false),
            tuple(4L, "z", true));
    assertThat(slice.rows())
        .allSatisfy(r -> assertThat(r.row().processedAt()).isEqualTo(batch.processedAt()));
    assertThat(embedded).as("a superseded row is not even embedded").doesNotContain("old x");
  }

  @Test
  void aTombstoneWithTheErasureHeaderErasesAndDropsEarlierRowsOfItsIdIncludingDeletions() {
    ConsumerRecord<byte[], byte[]> erasure = tombstone(3, "x");
    erasure.headers().add(DocumentParser.ERASURE_HEADER, "true".getBytes(StandardCharsets.UTF_8));
    ConsumerRecord<byte[], byte[]> notAnErasure = tombstone(5, "w");
    notAnErasure
        .headers()
        .add(DocumentParser.ERASURE_HEADER, "no".getBytes(StandardCharsets.UTF_8));
    PreparedBatch batch =
        preparer.prepare(
            List.of(
                slice(
                    0,
                    6,
                    doc(0, "x", "old x"),
                    tombstone(1, "x"),
                    doc(2, "y", "y"),
                    erasure,
                    doc(4, "x", "new x"),
                    notAnErasure)),
            Map.of());

    PreparedBatch.Slice slice = batch.slices().get(P0);
    assertThat(slice.erasures()).containsExactly("x");
    assertThat(slice.rows())
        .extracting(r -> r.source().offset(), r -> r.row().deleted())
        .containsExactly(tuple(2L, false), tuple(4L, false), tuple(5L, true));
    assertThat(embedded).doesNotContain("old x");
  }

  @Test
  void recordsAnEarlierAttemptDeadLetteredAreNotSentAgain() {
    PreparedBatch batch =
        preparer.prepare(
            List.of(slice(20, 23, bad(20), bad(21), doc(22, "d", "ok"))), Map.of(P0, Set.of(20L)));

    PreparedBatch.Slice slice = batch.slices().get(P0);
    assertThat(slice.deadLetters()).extracting(d -> d.source().offset()).containsExactly(21L);
    assertThat(slice.alreadyDeadLettered()).isEqualTo(1);
    assertThat(slice.rows()).hasSize(1);
  }

  @Test
  void keysAreBytesAnEmptyKeyIsNoKeyAndDeadLettersKeepTheKeyBytes() {
    byte[] badKey = {'x', (byte) 0xFF};
    byte[] value = "{\"doc_id\":\"x\ufffd\",\"text\":\"t\"}".getBytes(StandardCharsets.UTF_8);
    PreparedBatch batch =
        preparer.prepare(
            List.of(
                slice(
                    0,
                    3,
                    record(0, badKey, value),
                    record(
                        1,
                        new byte[0],
                        "{\"doc_id\":\"e\",\"text\":\"empty key\"}"
                            .getBytes(StandardCharsets.UTF_8)),
                    record(2, new byte[0], null))),
            Map.of());

    PreparedBatch.Slice slice = batch.slices().get(P0);
    assertThat(slice.rows()).extracting(r -> r.row().docId()).containsExactly("e");
    assertThat(slice.erasures()).isEmpty();
    assertThat(slice.deadLetters())
        .extracting(d -> d.source().offset(), d -> d.rejection().code())
        .containsExactly(
            tuple(0L, Rejection.Code.INVALID_UTF8), tuple(2L, Rejection.Code.MISSING_FIELD));
    assertThat(slice.deadLetters().get(0).source().key()).containsExactly('x', (byte) 0xFF);
    assertThat(slice.deadLetters().get(0).rejection().message()).contains("record key");
    assertThat(slice.deadLetters().get(1).source().key()).isEmpty();
  }

  private static BatchPreparer.PolledSlice slice(
      long start, long end, ConsumerRecord<byte[], byte[]>... records) {
    return new BatchPreparer.PolledSlice(P0, start, start, end, List.of(records));
  }

  private static ConsumerRecord<byte[], byte[]> doc(long offset, String id, String text) {
    return record(
        offset,
        id.getBytes(StandardCharsets.UTF_8),
        ("{\"doc_id\":\"" + id + "\",\"text\":\"" + text + "\"}").getBytes(StandardCharsets.UTF_8));
  }

  private static ConsumerRecord<byte[], byte[]> bad(long offset) {
    return record(
        offset,
        ("bad-" + offset).getBytes(StandardCharsets.UTF_8),
        "{oops".getBytes(StandardCharsets.UTF_8));
  }

  private static ConsumerRecord<byte[], byte[]> tombstone(long offset, String id) {
    return record(offset, id.getBytes(StandardCharsets.UTF_8), null);
  }

  private static ConsumerRecord<byte[], byte[]> record(long offset, byte[] key, byte[] value) {
    return new ConsumerRecord<>(P0.topic(), P0.partition(), offset, key, value);
  }
}
