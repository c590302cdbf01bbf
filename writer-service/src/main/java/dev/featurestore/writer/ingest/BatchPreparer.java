package dev.featurestore.writer.ingest;

import dev.featurestore.api.FeatureRow;
import dev.featurestore.api.KafkaSource;
import dev.featurestore.api.ModelId;
import dev.featurestore.api.Timestamps;
import dev.featurestore.writer.embedding.Embedder;
import io.micrometer.core.instrument.Timer;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.header.Header;

/**
 * Turns polled records into a {@link PreparedBatch}: parse and validate each record, apply
 * deletions and erasures in offset order within the partition, embed every surviving text in one
 * call, and route anything that fails, including a vector that fails the quality gate, to the dead
 * letters.
 */
final class BatchPreparer {

  /** The records of one partition in a poll, and where the consumer stood before and after them. */
  record PolledSlice(
      TopicPartition partition,
      long resumedAt,
      long startOffset,
      long endOffset,
      List<ConsumerRecord<byte[], byte[]>> records) {}

  private final DocumentParser parser;
  private final Embedder embedder;
  private final Clock clock;
  private final Timer embedTime;

  BatchPreparer(DocumentParser parser, Embedder embedder, Clock clock, Timer embedTime) {
    this.parser = parser;
    this.embedder = embedder;
    this.clock = clock;
    this.embedTime = embedTime;
  }

  /**
   * Embeds one sentence (the inference path's first run) and returns it as a row, for the commit
   * path's warm-up.
   */
  FeatureRow warmUp() {
    float[] embedding =
        embedder.embed(List.of("Warm-up sentence for the writer's first batch.")).get(0);
    Instant now = clock.instant();
    return new FeatureRow("featurestore-warm-up", embedding, embedder.model(), now, now);
  }

  /**
   * {@code alreadyDeadLettered}: source offsets per partition that an earlier attempt
   * dead-lettered.
   */
  PreparedBatch prepare(
      List<PolledSlice> polled, Map<TopicPartition, Set<Long>> alreadyDeadLettered) {
    List<Pending> pending = new ArrayList<>();
    Map<TopicPartition, Builder> builders = new LinkedHashMap<>();
    for (PolledSlice slice : polled) {
      Builder builder = new Builder(slice);
      builders.put(slice.partition(), builder);
      Set<Long> done = alreadyDeadLettered.getOrDefault(slice.partition(), Set.of());
      for (ConsumerRecord<byte[], byte[]> record : slice.records()) {
        DocumentParser.Result result =
            parser.parse(record.key(), record.value(), record.timestamp());
        if (result.isTombstone()) {
          if (isErasure(record)) {
            builder.erase(result.tombstoneDocId());
          } else {
            builder.delete(result.tombstoneDocId(), record);
          }
        } else if (result.isAccepted()) {
          builder.puts.add(new Pending(builder, record, result.document()));
        } else if (done.contains(record.offset())) {
          builder.alreadyDeadLettered++;
        } else {
          builder.deadLetters.add(new DeadLetterChannel.DeadLetter(record, result.rejection()));
        }
      }
      pending.addAll(builder.puts);
    }
    Instant processedAt = embed(pending, alreadyDeadLettered);
    Map<TopicPartition, PreparedBatch.Slice> slices = new LinkedHashMap<>();
    builders.forEach(
        (partition, builder) ->
            slices.put(partition, builder.build(embedder.model(), processedAt)));
    return new PreparedBatch(processedAt, slices);
  }

  private static boolean isErasure(ConsumerRecord<byte[], byte[]> record) {
    Header header = record.headers().lastHeader(DocumentParser.ERASURE_HEADER);
    return header != null
        && header.value() != null
        && "true".equalsIgnoreCase(new String(header.value(), StandardCharsets.UTF_8).strip());
  }

  private Instant embed(List<Pending> pending, Map<TopicPartition, Set<Long>> alreadyDeadLettered) {
    List<Pending> live = pending.stream().filter(p -> !p.erased).toList();
    List<float[]> vectors =
        live.isEmpty()
            ? List.of()
            : embedTime.record(
                () -> embedder.embed(live.stream().map(p -> p.document.text()).toList()));
    Instant processedAt = Timestamps.truncate(clock.instant());
    for (int i = 0; i < live.size(); i++) {
      Pending p = live.get(i);
      String problem = VectorQualityGate.problem(vectors.get(i));
      ConsumerRecord<byte[], byte[]> record = p.record;
      if (problem != null) {
        if (alreadyDeadLettered
            .getOrDefault(p.builder.slice.partition(), Set.of())
            .contains(record.offset())) {
          p.builder.alreadyDeadLettered++;
        } else {
          p.builder.deadLetters.add(
              new DeadLetterChannel.DeadLetter(
                  record, Rejection.of(Rejection.Code.INVALID_EMBEDDING, problem)));
        }
        continue;
      }
      FeatureRow row =
          new FeatureRow(
              p.document.docId(),
              vectors.get(i),
              embedder.model(),
              p.document.eventTime(),
              processedAt);
      p.builder.rows.add(
          new PreparedBatch.SourcedRow(
              row, KafkaSource.of(record.topic(), record.partition(), record.offset())));
    }
    return processedAt;
  }

  private static final class Pending {
    final Builder builder;
    final ConsumerRecord<byte[], byte[]> record;
    final Document document;
    boolean erased;

    Pending(Builder builder, ConsumerRecord<byte[], byte[]> record, Document document) {
      this.builder = builder;
      this.record = record;
      this.document = document;
    }
  }

  private static final class Builder {
    final PolledSlice slice;
    final List<Pending> puts = new ArrayList<>();
    final List<PreparedBatch.SourcedRow> rows = new ArrayList<>();
    final Map<String, ConsumerRecord<byte[], byte[]>> deletions = new LinkedHashMap<>();
    final Set<String> erasures = new LinkedHashSet<>();
    final List<DeadLetterChannel.DeadLetter> deadLetters = new ArrayList<>();
    int alreadyDeadLettered;

    Builder(PolledSlice slice) {
      this.slice = slice;
    }

    /**
     * A deletion (a tombstone) supersedes the id's earlier rows of this batch, which are then not
     * even embedded: they would share the deletion's processing time, so no training set as of any
     * time could see them. Rows after it in the batch supersede it in turn.
     */
    void delete(String docId, ConsumerRecord<byte[], byte[]> record) {
      dropEarlier(docId);
      deletions.put(docId, record);
    }

    /**
     * An erasure removes the id's history; earlier rows of this batch are dropped here, as the
     * equality delete committed with them applies only to rows of older snapshots. Rows after it in
     * the batch survive.
     */
    void erase(String docId) {
      dropEarlier(docId);
      deletions.remove(docId);
      erasures.add(docId);
    }

    private void dropEarlier(String docId) {
      for (Pending put : puts) {
        if (put.document.docId().equals(docId)) {
          put.erased = true;
        }
      }
    }

    PreparedBatch.Slice build(ModelId model, Instant processedAt) {
      deletions.forEach(
          (docId, record) ->
              rows.add(
                  new PreparedBatch.SourcedRow(
                      FeatureRow.deletion(
                          docId, model, Instant.ofEpochMilli(record.timestamp()), processedAt),
                      KafkaSource.of(record.topic(), record.partition(), record.offset()))));
      rows.sort((a, b) -> Long.compare(a.source().offset(), b.source().offset()));
      return new PreparedBatch.Slice(
          slice.partition(),
          slice.resumedAt(),
          slice.startOffset(),
          slice.endOffset(),
          List.copyOf(rows),
          Set.copyOf(erasures),
          List.copyOf(deadLetters),
          alreadyDeadLettered);
    }
  }
}
