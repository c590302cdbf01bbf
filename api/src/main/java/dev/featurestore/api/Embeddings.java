package dev.featurestore.api;

/** Facts about the vectors this store holds. */
public final class Embeddings {

  /** all-MiniLM-L6-v2 produces 384 floats. */
  public static final int DIMENSION = 384;

  private Embeddings() {}

  public static float[] checkDimension(float[] embedding) {
    Preconditions.checkArgument(embedding != null, "Invalid embedding: null");
    Preconditions.checkArgument(
        embedding.length == DIMENSION,
        "Invalid embedding dimension: %s (expected %s)",
        embedding.length,
        DIMENSION);
    return embedding;
  }

  public static double cosine(float[] a, float[] b) {
    Preconditions.checkArgument(
        a.length == b.length, "Invalid vectors: lengths %s and %s", a.length, b.length);
    double dot = 0;
    double na = 0;
    double nb = 0;
    for (int i = 0; i < a.length; i++) {
      dot += (double) a[i] * b[i];
      na += (double) a[i] * a[i];
      nb += (double) b[i] * b[i];
    }
    return dot / Math.sqrt(na * nb);
  }
}
