package dev.featurestore.api;

/**
 * Where in the table's history a served value came from: the snapshot that added its data file and
 * that file's data sequence number, which only grows, so a newer value can always be told from an
 * older one.
 */
public record FeatureVersion(long snapshotId, long sequenceNumber)
    implements Comparable<FeatureVersion> {

  public FeatureVersion {
    Preconditions.checkArgument(sequenceNumber >= 0, "Invalid sequence number: %s", sequenceNumber);
  }

  public static FeatureVersion of(long snapshotId, long sequenceNumber) {
    return new FeatureVersion(snapshotId, sequenceNumber);
  }

  @Override
  public int compareTo(FeatureVersion other) {
    return Long.compare(sequenceNumber, other.sequenceNumber);
  }
}
