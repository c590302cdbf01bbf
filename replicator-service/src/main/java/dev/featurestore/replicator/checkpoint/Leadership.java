package dev.featurestore.replicator.checkpoint;

/** Which of several replicators of one table is active; the others stand by. */
public interface Leadership {

  /**
   * Takes the lease if it is free or expired, renews it if held; true if this replicator now leads.
   */
  boolean acquireOrRenew(String table);

  /** Gives the lease up (graceful stop) so a standby takes over at once. */
  void release(String table);

  /** This replicator's identity in the lease. */
  String owner();
}
