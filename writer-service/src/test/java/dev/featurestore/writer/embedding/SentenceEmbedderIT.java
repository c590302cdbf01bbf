package dev.featurestore.writer.embedding;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.featurestore.api.Embeddings;
import java.nio.file.Path;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The real all-MiniLM-L6-v2 weights on each of DJL's engines: golden values from
 * sentence-transformers, semantic behaviour, padding and truncation.
 */
class SentenceEmbedderIT {

  static final Path MODEL_CACHE = Path.of("target", "model-cache");
  private static final Map<EmbeddingEngine, SentenceEmbedder> EMBEDDERS =
      new EnumMap<>(EmbeddingEngine.class);

  /**
   * One embedder per engine, shared by the embedding tests of this JVM and released when it exits.
   */
  static synchronized SentenceEmbedder embedder(EmbeddingEngine engine) {
    return EMBEDDERS.computeIfAbsent(
        engine,
        e -> SentenceEmbedder.builder().engine(e).cacheDir(MODEL_CACHE).maxBatchSize(32).build());
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

  /**
   * Regression pins: components 0-4, 100 and 383 of texts outside the sentence-transformers
   * reference above (empty, CJK, code, numbers, truncated), as ONNX Runtime computed them when the
   * PyTorch engine was added (2026-11-25).
   */
  @ParameterizedTest
  @EnumSource(EmbeddingEngine.class)
  void matchesPinnedGoldenVectorsOfUnusualTexts(EmbeddingEngine engine) {
    Map<String, float[]> golden =
        Map.of(
            "",
            new float[] {
              -0.118838f, 0.048299f, -0.002548f, -0.011011f, 0.051951f, 0.035949f, -0.015717f
            },
            "日本語の文章を埋め込みます。",
            new float[] {
              0.030445f, 0.073298f, 0.050695f, 0.028610f, -0.083259f, -0.025646f, -0.001045f
            },
            "def f(x):\n    return x ** 2",
            new float[] {
              -0.007613f, 0.046609f, -0.004785f, 0.060229f, -0.058044f, -0.112072f, -0.002102f
            },
            "3.14159 2.71828",
            new float[] {
              0.018112f, -0.004968f, 0.010424f, 0.056146f, -0.047691f, 0.098948f, 0.013571f
            },
            "word ".repeat(300),
            new float[] {
              -0.008124f, -0.095586f, -0.038673f, 0.049662f, -0.043794f, -0.075985f, 0.015241f
            });
    int[] components = {0, 1, 2, 3, 4, 100, 383};
    golden.forEach(
        (text, expected) -> {
          float[] vector = embedder(engine).embed(text);
          for (int i = 0; i < components.length; i++) {
            assertThat(vector[components[i]])
                .as("component %d of %s", components[i], text)
                .isCloseTo(expected[i], within(2e-6f));
          }
        });
  }

  @ParameterizedTest
  @EnumSource(EmbeddingEngine.class)
  void paraphrasesAreCloserThanUnrelatedSentences(EmbeddingEngine engine) {
    List<float[]> v =
        embedder(engine)
            .embed(
                List.of(
                    "A man is eating food.",
                    "A man is eating a piece of bread.",
                    "A man is riding a horse."));
    double paraphrase = Embeddings.cosine(v.get(0), v.get(1));
    double unrelated = Embeddings.cosine(v.get(0), v.get(2));
    assertThat(paraphrase).isCloseTo(0.7553, within(1e-3));
    assertThat(unrelated).isCloseTo(0.2474, within(1e-3));
  }

  @ParameterizedTest
  @EnumSource(EmbeddingEngine.class)
  void paddingInABatchDoesNotChangeTheVector(EmbeddingEngine engine) {
    String shortText = "Short.";
    String longText =
        "A considerably longer sentence that forces the short one to be padded in the same batch. "
            .repeat(3);
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
    // ... and not earlier (the shipped tokenizer.json would cut at 128): a change at piece 250
    // still counts
    float[] d = embedder(engine).embed("word ".repeat(248) + "volcano " + "word ".repeat(51));
    assertThat(1 - Embeddings.cosine(a, d)).isGreaterThan(1e-6);
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
