package dev.featurestore.writer.ingest;

import dev.featurestore.api.Embeddings;

/** A vector that is not 384 finite floats of unit length never reaches the table. */
final class VectorQualityGate {

  static final double NORM_TOLERANCE = 1e-3;

  private VectorQualityGate() {}

  /** Why the vector is unfit, or null if it is fine. */
  static String problem(float[] vector) {
    if (vector == null || vector.length != Embeddings.DIMENSION) {
      return "embedding has "
          + (vector == null ? 0 : vector.length)
          + " dimensions, expected "
          + Embeddings.DIMENSION;
    }
    double norm = 0;
    for (float v : vector) {
      if (!Float.isFinite(v)) {
        return "embedding contains a non-finite value";
      }
      norm += (double) v * v;
    }
    if (Math.abs(Math.sqrt(norm) - 1.0) > NORM_TOLERANCE) {
      return String.format("embedding norm is %.6f, expected 1", Math.sqrt(norm));
    }
    return null;
  }
}
