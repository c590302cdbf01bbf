package dev.featurestore.api;

import java.time.Instant;
import java.util.Arrays;
import java.util.Objects;

/**
 * One row of the offline store: the embedding of one document as the writer computed it, or the
 * deletion of the document (a tombstone kept as history: the id is absent from {@code processedAt}
 * on, and its earlier rows stay for training sets as of earlier times).
 *
 * @param docId the document id (see {@link DocIds})
 * @param embedding the L2-normalised sentence embedding, {@link Embeddings#DIMENSION} floats; empty
 *     for a deletion
 * @param model the model that computed it (for a deletion: the writer's model at the time)
 * @param eventTime the Kafka record's timestamp
 * @param processedAt when the writer processed it; the version's time in training sets, and the
 *     table is partitioned by its day
 * @param deleted true for a deletion
 */
public record FeatureRow(
    String docId,
    float[] embedding,
    ModelId model,
    Instant eventTime,
    Instant processedAt,
    boolean deleted) {

  private static final float[] NO_EMBEDDING = new float[0];

  public FeatureRow {
    DocIds.checkValid(docId);
    if (deleted) {
      Preconditions.checkArgument(
          embedding != null && embedding.length == 0,
          "Invalid deletion of doc id %s: it carries an embedding",
          docId);
    } else {
      Embeddings.checkDimension(embedding);
    }
    Preconditions.checkArgument(model != null, "Invalid model: null for doc id %s", docId);
    Preconditions.checkArgument(eventTime != null, "Invalid event time: null for doc id %s", docId);
    Preconditions.checkArgument(
        processedAt != null, "Invalid processing time: null for doc id %s", docId);
  }

  /** An embedding row. */
  public FeatureRow(
      String docId, float[] embedding, ModelId model, Instant eventTime, Instant processedAt) {
    this(docId, embedding, model, eventTime, processedAt, false);
  }

  /** The deletion of {@code docId} (a tombstone), kept as a row of the history. */
  public static FeatureRow deletion(
      String docId, ModelId model, Instant eventTime, Instant processedAt) {
    return new FeatureRow(docId, NO_EMBEDDING, model, eventTime, processedAt, true);
  }

  /** This row processed at {@code time} instead (rows committed together share one time). */
  public FeatureRow processedAt(Instant time) {
    return new FeatureRow(docId, embedding, model, eventTime, time, deleted);
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof FeatureRow other
        && docId.equals(other.docId)
        && Arrays.equals(embedding, other.embedding)
        && model.equals(other.model)
        && eventTime.equals(other.eventTime)
        && processedAt.equals(other.processedAt)
        && deleted == other.deleted;
  }

  @Override
  public int hashCode() {
    return Objects.hash(docId, Arrays.hashCode(embedding), model, eventTime, processedAt, deleted);
  }

  @Override
  public String toString() {
    return "FeatureRow("
        + docId
        + (deleted ? ", deleted" : "")
        + ", "
        + model
        + ", processedAt="
        + processedAt
        + ")";
  }
}
