package dev.featurestore.replicator.checkpoint;

import java.util.OptionalLong;

/** The last table snapshot whose changes are fully mirrored into the online store. */
public interface CheckpointStore {

  OptionalLong load(String table);

  void save(String table, long snapshotId);
}
