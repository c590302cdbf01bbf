package dev.featurestore.training;

import dev.featurestore.api.DocIds;
import dev.featurestore.api.Preconditions;
import java.time.Instant;
import java.util.List;

/**
 * One row of an entity file: a doc id, the time to look it up as of, and the row's other columns
 * (labels and the like), passed through to the training set unchanged.
 *
 * @param docId the document id
 * @param asOf the time the training example is about (microsecond precision)
 * @param passThrough the other columns' values, in the file's order (CSV: strings, null for an
 *     empty field; Parquet: the values as Iceberg's generic records hold them)
 */
public record Entity(String docId, Instant asOf, List<?> passThrough) {

  public Entity {
    DocIds.checkValid(docId);
    Preconditions.checkArgument(asOf != null, "Invalid time: null for doc id %s", docId);
    Preconditions.checkArgument(passThrough != null, "Invalid columns: null for doc id %s", docId);
  }
}
