package dev.featurestore.api;

import java.time.Instant;
import java.util.Arrays;
import java.util.Objects;

/**
 * One row of the offline store: the embedding of one document as the writer computed it.
 *
 * @param docId the document id (see {@link DocIds})
 * @param embedding the L2-normalised sentence embedding, {@link Embeddings#DIMENSION} floats
 * @param model the model that computed it
 * @param eventTime the Kafka record's timestamp
 * @param processedAt when the writer computed it; the table is partitioned by its day
 */
public record FeatureRow(
    String docId, float[] embedding, ModelId model, Instant eventTime, Instant processedAt) {

  public FeatureRow {
    DocIds.checkValid(docId);
    Embeddings.checkDimension(embedding);
    Preconditions.checkArgument(model != null, "Invalid model: null for doc id %s", docId);
    Preconditions.checkArgument(eventTime != null, "Invalid event time: null for doc id %s", docId);
    Preconditions.checkArgument(
        processedAt != null, "Invalid processing time: null for doc id %s", docId);
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof FeatureRow other
        && docId.equals(other.docId)
        && Arrays.equals(embedding, other.embedding)
        && model.equals(other.model)
        && eventTime.equals(other.eventTime)
        && processedAt.equals(other.processedAt);
  }

  @Override
  public int hashCode() {
    return Objects.hash(docId, Arrays.hashCode(embedding), model, eventTime, processedAt);
  }

  @Override
  public String toString() {
    return "FeatureRow(" + docId + ", " + model + ", processedAt=" + processedAt + ")";
  }
}
