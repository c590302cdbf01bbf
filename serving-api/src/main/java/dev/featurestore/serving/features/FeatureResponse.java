package dev.featurestore.serving.features;

import com.fasterxml.jackson.annotation.JsonIgnore;
import com.fasterxml.jackson.annotation.JsonProperty;
import dev.featurestore.api.FeatureRow;
import dev.featurestore.api.OnlineFeature;
import dev.featurestore.api.Timestamps;
import tools.jackson.databind.annotation.JsonSerialize;

/**
 * The JSON body of a found feature; field names are snake_case like the table's columns. The
 * timestamps are also kept as epoch microseconds (not serialised) so the binary representation need
 * not parse the strings back.
 */
public record FeatureResponse(
    @JsonProperty("doc_id") String docId,
    @JsonProperty("model") String model,
    @JsonProperty("model_digest") String modelDigest,
    @JsonProperty("embedding") @JsonSerialize(using = EmbeddingJson.class) float[] embedding,
    @JsonProperty("event_time") String eventTime,
    @JsonProperty("processed_at") String processedAt,
    @JsonProperty("snapshot_id") long snapshotId,
    @JsonProperty("sequence_number") long sequenceNumber,
    @JsonIgnore long eventTimeMicros,
    @JsonIgnore long processedAtMicros) {

  static FeatureResponse of(OnlineFeature feature) {
    FeatureRow row = feature.row();
    return new FeatureResponse(
        row.docId(),
        row.model().name(),
        row.model().digest(),
        row.embedding(),
        row.eventTime().toString(),
        row.processedAt().toString(),
        feature.version().snapshotId(),
        feature.version().sequenceNumber(),
        Timestamps.toMicros(row.eventTime()),
        Timestamps.toMicros(row.processedAt()));
  }
}
