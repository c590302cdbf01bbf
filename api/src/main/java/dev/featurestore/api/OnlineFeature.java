package dev.featurestore.api;

/** What the online store holds for one document: the table row and the version it came from. */
public record OnlineFeature(FeatureRow row, FeatureVersion version) {

  public OnlineFeature {
    Preconditions.checkArgument(row != null, "Invalid row: null");
    Preconditions.checkArgument(
        !row.deleted(), "Invalid online feature: doc id %s is a deletion", row.docId());
    Preconditions.checkArgument(
        version != null, "Invalid version: null for doc id %s", row.docId());
  }

  public static OnlineFeature of(FeatureRow row, FeatureVersion version) {
    return new OnlineFeature(row, version);
  }

  public String docId() {
    return row.docId();
  }
}
