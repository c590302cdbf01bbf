package dev.featurestore.writer.ingest;

import static org.assertj.core.api.Assertions.assertThat;

import dev.featurestore.api.Embeddings;
import org.junit.jupiter.api.Test;

class VectorQualityTest {

  @Test
  void unitVectorHasNoProblem() {
    assertThat(VectorQualityGate.problem(unitVector())).isNull();
  }

  @Test
  void basisVectorHasNoProblem() {
    float[] basis = new float[Embeddings.DIMENSION];
    basis[17] = -1f;
    assertThat(VectorQualityGate.problem(basis)).isNull();
  }

  @Test
  void normWithinToleranceIsAccepted() {
    assertThat(VectorQualityGate.problem(scaled(unitVector(), 1.0009f))).isNull();
    assertThat(VectorQualityGate.problem(scaled(unitVector(), 0.9991f))).isNull();
  }

  @Test
  void nullVectorIsReportedAsZeroDimensions() {
    assertThat(VectorQualityGate.problem(null))
        .isEqualTo("embedding has 0 dimensions, expected 384");
  }

  @Test
  void wrongDimensionIsReported() {
    assertThat(VectorQualityGate.problem(new float[] {0.6f, 0.8f}))
        .isEqualTo("embedding has 2 dimensions, expected 384");
    assertThat(VectorQualityGate.problem(new float[0]))
        .isEqualTo("embedding has 0 dimensions, expected 384");
    assertThat(VectorQualityGate.problem(new float[385]))
        .isEqualTo("embedding has 385 dimensions, expected 384");
  }

  @Test
  void nanIsReported() {
    float[] vector = unitVector();
    vector[200] = Float.NaN;
    assertThat(VectorQualityGate.problem(vector))
        .isEqualTo("embedding contains a non-finite value");
  }

  @Test
  void infinityIsReported() {
    float[] positive = unitVector();
    positive[0] = Float.POSITIVE_INFINITY;
    float[] negative = unitVector();
    negative[383] = Float.NEGATIVE_INFINITY;
    assertThat(VectorQualityGate.problem(positive))
        .isEqualTo("embedding contains a non-finite value");
    assertThat(VectorQualityGate.problem(negative))
        .isEqualTo("embedding contains a non-finite value");
  }

  @Test
  void normFarFromOneIsReportedWithTheNorm() {
    assertThat(VectorQualityGate.problem(scaled(unitVector(), 2f)))
        .isEqualTo(String.format("embedding norm is %.6f, expected 1", 2.0));
    assertThat(VectorQualityGate.problem(scaled(unitVector(), 0.5f)))
        .startsWith("embedding norm is 0")
        .endsWith(", expected 1");
    assertThat(VectorQualityGate.problem(scaled(unitVector(), 1.01f))).isNotNull();
  }

  @Test
  void zeroVectorIsReported() {
    assertThat(VectorQualityGate.problem(new float[Embeddings.DIMENSION]))
        .isEqualTo(String.format("embedding norm is %.6f, expected 1", 0.0));
  }

  @Test
  void hugeFiniteValuesDoNotOverflowTheNormCheck() {
    float[] vector = new float[Embeddings.DIMENSION];
    vector[0] = Float.MAX_VALUE;
    vector[1] = Float.MAX_VALUE;
    assertThat(VectorQualityGate.problem(vector))
        .startsWith("embedding norm is ")
        .doesNotContain("Infinity");
  }

  private static float[] unitVector() {
    float[] vector = new float[Embeddings.DIMENSION];
    double sum = 0;
    for (int i = 0; i < vector.length; i++) {
      vector[i] = (float) Math.cos(i * 0.37 + 1);
      sum += (double) vector[i] * vector[i];
    }
    return scaled(vector, (float) (1 / Math.sqrt(sum)));
  }

  private static float[] scaled(float[] vector, float factor) {
    float[] out = new float[vector.length];
    for (int i = 0; i < vector.length; i++) {
      out[i] = vector[i] * factor;
    }
    return out;
  }
}
