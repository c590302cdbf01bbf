package dev.featurestore.testing;

import dev.featurestore.api.Embeddings;
import dev.featurestore.api.FeatureRow;
import dev.featurestore.api.ModelId;
import java.time.Instant;
import java.util.Random;

/** Feature rows with recognisable vectors, for tests of any module. */
public final class FeatureRows {

  public static final ModelId TEST_MODEL = ModelId.of("test-model", "sha256:0123456789abcdef");

  /**
   * A row whose unit vector is derived from {@code seed}, so two rows with different seeds differ.
   */
  public static FeatureRow row(String docId, long seed, Instant processedAt) {
    Random random = new Random(seed);
    float[] vector = new float[Embeddings.DIMENSION];
    double norm = 0;
    for (int i = 0; i < vector.length; i++) {
      vector[i] = (float) random.nextGaussian();
      norm += (double) vector[i] * vector[i];
    }
    for (int i = 0; i < vector.length; i++) {
      vector[i] = (float) (vector[i] / Math.sqrt(norm));
    }
    return new FeatureRow(docId, vector, TEST_MODEL, processedAt.minusMillis(5), processedAt);
  }

  private FeatureRows() {}
}
