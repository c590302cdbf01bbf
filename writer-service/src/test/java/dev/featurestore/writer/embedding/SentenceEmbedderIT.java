package dev.featurestore.writer.embedding;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.featurestore.common.Embeddings;
import java.nio.file.Path;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The real all-MiniLM-L6-v2 weights on each of DJL's engines: golden values from sentence-transformers, semantic
 * behaviour, padding and truncation.
 */
class SentenceEmbedderIT {

  static final Path MODEL_CACHE = Path.of("target", "model-cache");
  private static final Map<EmbeddingEngine, SentenceEmbedder> EMBEDDERS = new EnumMap<>(EmbeddingEngine.class);

  /** One embedder per engine, shared by the embedding tests of this JVM and released when it exits. */
  static synchronized SentenceEmbedder embedder(EmbeddingEngine engine) {
    return EMBEDDERS.computeIfAbsent(engine, e -> SentenceEmbedder.builder().engine(e).cacheDir(MODEL_CACHE).maxBatchSize(32).build());
  }

  @ParameterizedTest
  @EnumSource(EmbeddingEngine.class)
  void matchesSentenceTransformersGoldenVector(EmbeddingEngine engine) {
    float[] vector = embedder(engine).embed("This is a test.");
    assertThat(vector).hasSize(Embeddings.DIMENSION);
    float[] expectedPrefix = {0.033591f, 0.010512f, -0.017500f, 0.029352f, -0.009420f};
    for (int i = 0; i < expectedPrefix.length; i++) {
      assertThat(vector[i]).isCloseTo(expectedPrefix[i], within(1e-5f));
    }
    assertThat(norm(vector)).isCloseTo(1.0, within(1e-6));
  }

  @ParameterizedTest
  @EnumSource(EmbeddingEngine.class)
  void paraphrasesAreCloserThanUnrelatedSentences(EmbeddingEngine engine) {
    List<float[]> v =
        embedder(engine).embed(List.of("A man is eating food.", "A man is eating a piece of bread.", "A man is riding a horse."));
    double paraphrase = Embeddings.cosine(v.get(0), v.get(1));
    double unrelated = Embeddings.cosine(v.get(0), v.get(2));
    assertThat(paraphrase).isCloseTo(0.7553, within(1e-3));
    assertThat(unrelated).isCloseTo(0.2474, within(1e-3));
  }

  @ParameterizedTest
  @EnumSource(EmbeddingEngine.class)
  void paddingInABatchDoesNotChangeTheVector(EmbeddingEngine engine) {
    String shortText = "Short.";
    String longText = "A considerably longer sentence that forces the short one to be padded in the same batch. ".repeat(3);
    float[] alone = embedder(engine).embed(shortText);
    List<float[]> batch = embedder(engine).embed(List.of(longText, shortText, longText, longText));
    assertThat(1 - Embeddings.cosine(alone, batch.get(1))).isLessThan(1e-6);
  }

  @ParameterizedTest
  @EnumSource(EmbeddingEngine.class)
  void truncatesAt256WordPiecesLikeSentenceTransformers(EmbeddingEngine engine) {
    String base = "word ".repeat(300);
    float[] a = embedder(engine).embed(base);
    float[] b = embedder(engine).embed(base + " and a different ending that lies beyond the limit");
    // both are cut at the same 256 word pieces, so they embed identically
    assertThat(a).containsExactly(b);
    float[] c = embedder(engine).embed("word ".repeat(100));
    assertThat(Embeddings.cosine(a, c)).isLessThan(1.0);
  }

  @ParameterizedTest
  @EnumSource(EmbeddingEngine.class)
  void bothEnginesWriteTheBundledModelsIdentity(EmbeddingEngine engine) {
    assertThat(embedder(engine).model().name()).isEqualTo(MiniLmArtifact.MODEL_NAME);
    assertThat(embedder(engine).model()).isEqualTo(MiniLmArtifact.extract(MODEL_CACHE).model());
    assertThat(embedder(engine).engine()).isEqualTo(engine);
  }

  static double norm(float[] v) {
    double sum = 0;
    for (float x : v) {
      sum += (double) x * x;
    }
    return Math.sqrt(sum);
  }
}
