package dev.featurestore.replicator.checkpoint;

import java.util.OptionalLong;

/**
 * How far the online store mirrors a table: the last snapshot whose changes are fully written, and
 * the key generation they are written in.
 */
public interface CheckpointStore {

  /** The checkpoint of {@code table}; {@link Checkpoint#NONE} before the first one. */
  Checkpoint load(String table);

  /**
   * Moves the checkpoint from {@code expected} (what this replicator loaded) to {@code next},
   * snapshot and generation at once; false if this replicator no longer leads or another one moved
   * the checkpoint since (the write is refused, not lost). The comparison keeps a replicator that
   * stalled and got the lease back from moving the checkpoint back to a state it loaded before its
   * successor's.
   */
  boolean save(String table, Checkpoint expected, Checkpoint next);

  /**
   * A generation no replicator has used before for {@code table}, for a full resync; empty if this
   * replicator no longer leads. Claims are durable, so a replicator that dies mid-resync never
   * hands its half-filled generation to its successor.
   */
  OptionalLong claimGeneration(String table);

  /**
   * @param snapshotId the last mirrored snapshot; empty when the table had none
   * @param generation the key generation readers use; 0 before the first full resync completed
   */
  record Checkpoint(OptionalLong snapshotId, long generation) {

    public static final Checkpoint NONE = new Checkpoint(OptionalLong.empty(), 0);

    public static Checkpoint of(Long snapshotId, long generation) {
      return new Checkpoint(
          snapshotId == null ? OptionalLong.empty() : OptionalLong.of(snapshotId), generation);
    }

    public boolean isAt(long snapshot) {
      return snapshotId.isPresent() && snapshotId.getAsLong() == snapshot;
    }

    /** No generation is complete yet: the first cycle is a full resync. */
    public boolean hasGeneration() {
      return generation > 0;
    }
  }
}
