package dev.featurestore.replicator.checkpoint;

import java.util.OptionalLong;

/** The last table snapshot whose changes are fully mirrored into the online store. */
public interface CheckpointStore {

  OptionalLong load(String table);

  /** Moves the checkpoint; false if this replicator no longer leads (the write is refused, not lost). */
  boolean save(String table, long snapshotId);
}
