package dev.featurestore.writer.ingest;

import dev.featurestore.common.Embeddings;
import dev.featurestore.common.FeatureRow;
import dev.featurestore.common.Timestamps;
import dev.featurestore.writer.embedding.SentenceEmbedder;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.kafka.annotation.KafkaListener;

/**
 * The writer's micro-batch: every record of a poll is either embedded and appended to the table in one snapshot,
 * or sent to the dead-letter topic. The method returns only when both are durable; the container then commits
 * the offsets, so a crash before that replays the batch rather than losing it.
 */
public class DocumentBatchListener {

  private static final Logger LOG = LoggerFactory.getLogger(DocumentBatchListener.class);

  private final DocumentParser parser;
  private final SentenceEmbedder embedder;
  private final FeatureTableAppender appender;
  private final DeadLetterPublisher deadLetters;
  private final Clock clock;
  private final MeterRegistry meters;
  private final Counter recordsIn;
  private final Counter rowsCommitted;
  private final Timer embedTime;
  private final Timer commitTime;

  public DocumentBatchListener(
      DocumentParser parser,
      SentenceEmbedder embedder,
      FeatureTableAppender appender,
      DeadLetterPublisher deadLetters,
      Clock clock,
      MeterRegistry meters) {
    this.parser = parser;
    this.embedder = embedder;
    this.appender = appender;
    this.deadLetters = deadLetters;
    this.clock = clock;
    this.meters = meters;
    this.recordsIn = meters.counter("featurestore.writer.records.in");
    this.rowsCommitted = meters.counter("featurestore.writer.rows.committed");
    this.embedTime = meters.timer("featurestore.writer.embed.time");
    this.commitTime = meters.timer("featurestore.writer.commit.time");
  }

  @KafkaListener(
      id = "featurestore-writer",
      topics = "${featurestore.writer.topic}",
      groupId = "${featurestore.writer.consumer-group}",
      batch = "true")
  public void onBatch(List<ConsumerRecord<String, byte[]>> records) {
    try {
      process(records);
    } catch (RuntimeException e) {
      // the container retries the whole batch with back-off; say why, once per attempt
      LOG.warn("Batch of {} records failed, it will be retried: {}", records.size(), e.toString(), e);
      throw e;
    }
  }

  private void process(List<ConsumerRecord<String, byte[]>> records) {
    recordsIn.increment(records.size());
    List<ConsumerRecord<String, byte[]>> accepted = new ArrayList<>(records.size());
    List<Document> documents = new ArrayList<>(records.size());
    List<DeadLetterPublisher.DeadLetter> rejected = new ArrayList<>();
    for (ConsumerRecord<String, byte[]> record : records) {
      DocumentParser.Result result = parser.parse(record.key(), record.value(), record.timestamp());
      if (result.isAccepted()) {
        accepted.add(record);
        documents.add(result.document());
      } else {
        rejected.add(new DeadLetterPublisher.DeadLetter(record, result.rejection()));
      }
    }
    List<FeatureRow> rows = embed(accepted, documents, rejected);
    if (!rejected.isEmpty()) {
      deadLetters.publish(rejected);
      rejected.forEach(
          letter -> meters.counter("featurestore.writer.records.dead.lettered", "reason", letter.rejection().code().name()).increment());
    }
    if (!rows.isEmpty()) {
      long snapshotId = commitTime.record(() -> appender.append(rows, provenance(accepted)));
      rowsCommitted.increment(rows.size());
      LOG.debug("Committed {} rows in snapshot {}", rows.size(), snapshotId);
    }
  }

  private List<FeatureRow> embed(
      List<ConsumerRecord<String, byte[]>> accepted, List<Document> documents, List<DeadLetterPublisher.DeadLetter> rejected) {
    if (documents.isEmpty()) {
      return List.of();
    }
    List<String> texts = documents.stream().map(Document::text).toList();
    List<float[]> vectors = embedTime.record(() -> embedder.embed(texts));
    Instant processedAt = Timestamps.truncate(clock.instant());
    List<FeatureRow> rows = new ArrayList<>(documents.size());
    for (int i = 0; i < documents.size(); i++) {
      Document document = documents.get(i);
      String problem = vectorProblem(vectors.get(i));
      if (problem != null) {
        rejected.add(new DeadLetterPublisher.DeadLetter(accepted.get(i), Rejection.of(Rejection.Code.INVALID_EMBEDDING, problem)));
        continue;
      }
      rows.add(new FeatureRow(document.docId(), vectors.get(i), embedder.model(), document.eventTime(), processedAt));
    }
    return rows;
  }

  /** A vector that is not 384 finite floats of unit length never reaches the table. */
  static String vectorProblem(float[] vector) {
    if (vector == null || vector.length != Embeddings.DIMENSION) {
      return "embedding has " + (vector == null ? 0 : vector.length) + " dimensions, expected " + Embeddings.DIMENSION;
    }
    double norm = 0;
    for (float v : vector) {
      if (!Float.isFinite(v)) {
        return "embedding contains a non-finite value";
      }
      norm += (double) v * v;
    }
    if (Math.abs(Math.sqrt(norm) - 1.0) > 1e-3) {
      return String.format("embedding norm is %.6f, expected 1", Math.sqrt(norm));
    }
    return null;
  }

  private static Map<String, String> provenance(List<ConsumerRecord<String, byte[]>> records) {
    ConsumerRecord<String, byte[]> last = records.get(records.size() - 1);
    return Map.of("featurestore.writer.records", Integer.toString(records.size()), "featurestore.writer.last-topic", last.topic());
  }
}
