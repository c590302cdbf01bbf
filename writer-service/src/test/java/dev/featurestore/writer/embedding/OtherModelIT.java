package dev.featurestore.writer.embedding;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * A model the user points at instead of the bundled one: here a local ONNX directory (offline; a
 * DJL model-zoo URL works the same way once downloads are allowed). Its identity is a digest of its
 * files, so it changes with them.
 */
class OtherModelIT {

  private static final List<String> TEXTS =
      List.of("This is a test.", "Un texte en français.", "🚀 launch at 10:00");
  private static Path modelDir;

  @BeforeAll
  static void copyTheBundledModelIntoADirectory() throws Exception {
    MiniLmArtifact bundled = MiniLmArtifact.extract(SentenceEmbedderIT.MODEL_CACHE);
    modelDir = Files.createTempDirectory(Path.of("target"), "other-model-");
    Files.copy(bundled.onnxFile(), modelDir.resolve("model.onnx"));
    Files.copy(bundled.tokenizerFile(), modelDir.resolve("tokenizer.json"));
  }

  @Test
  void aLocalOnnxDirectoryEmbedsAndNamesItsModel() {
    try (SentenceEmbedder other = load(modelDir, "acme/minilm-copy")) {
      List<float[]> expected =
          SentenceEmbedderIT.embedder(EmbeddingEngine.ONNXRUNTIME).embed(TEXTS);
      List<float[]> actual = other.embed(TEXTS);
      for (int i = 0; i < TEXTS.size(); i++) {
        assertThat(actual.get(i)).containsExactly(expected.get(i));
      }
      assertThat(other.model().name()).isEqualTo("acme/minilm-copy");
      assertThat(other.model().digest())
          .isEqualTo(
              "sha256:"
                  + Digests.sha256(
                      List.of(modelDir.resolve("model.onnx"), modelDir.resolve("tokenizer.json"))));
    }
  }

  @Test
  void theIdentityChangesWhenAFileOfTheModelDoes() throws Exception {
    Path changed = Files.createTempDirectory(Path.of("target"), "other-model-");
    Files.copy(modelDir.resolve("model.onnx"), changed.resolve("model.onnx"));
    Files.copy(modelDir.resolve("tokenizer.json"), changed.resolve("tokenizer.json"));
    String before;
    try (SentenceEmbedder other = load(changed, null)) {
      before = other.model().digest();
      assertThat(other.model().name()).isEqualTo(changed.toString());
    }
    // files of subdirectories and hidden files are not the model's
    Files.createDirectories(changed.resolve("onnx"));
    Files.writeString(changed.resolve("onnx").resolve("model_quantized.onnx"), "another variant");
    Files.writeString(changed.resolve(".lock"), "");
    try (SentenceEmbedder other = load(changed, null)) {
      assertThat(other.model().digest()).isEqualTo(before);
    }
    Files.writeString(changed.resolve("tokenizer.json"), "\n", StandardOpenOption.APPEND);
    try (SentenceEmbedder other = load(changed, null)) {
      assertThat(other.model().digest()).isNotEqualTo(before);
    }
  }

  @Test
  void aModelFileIsNamedByItselfAndTheTokenizerBesideIt() throws Exception {
    Files.writeString(modelDir.resolve("notes.txt"), "not part of the model");
    try (SentenceEmbedder other = load(modelDir.resolve("model.onnx"), null)) {
      assertThat(other.model().digest())
          .isEqualTo(
              "sha256:"
                  + Digests.sha256(
                      List.of(modelDir.resolve("model.onnx"), modelDir.resolve("tokenizer.json"))));
    } finally {
      Files.delete(modelDir.resolve("notes.txt"));
    }
  }

  @Test
  void aModelThatNeedsADownloadIsRefusedUnlessAllowed() {
    assertThatThrownBy(
            () ->
                SentenceEmbedder.builder()
                    .cacheDir(SentenceEmbedderIT.MODEL_CACHE)
                    .modelUrl(
                        "djl://ai.djl.huggingface.onnxruntime/sentence-transformers/all-MiniLM-L6-v2")
                    .build())
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining(
            "djl://ai.djl.huggingface.onnxruntime/sentence-transformers/all-MiniLM-L6-v2")
        .hasMessageContaining("allow-download");
  }

  @Test
  void aModelWithoutATokenizerIsRefusedByName() throws Exception {
    Path noTokenizer = Files.createTempDirectory(Path.of("target"), "other-model-");
    Files.copy(modelDir.resolve("model.onnx"), noTokenizer.resolve("model.onnx"));
    assertThatThrownBy(() -> load(noTokenizer, null))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("no tokenizer.json")
        .hasMessageContaining(noTokenizer.toString());
  }

  @Test
  void anOnnxDirectoryOnThePyTorchEngineIsRefusedWithTheReason() {
    assertThatThrownBy(
            () ->
                SentenceEmbedder.builder()
                    .engine(EmbeddingEngine.PYTORCH)
                    .cacheDir(SentenceEmbedderIT.MODEL_CACHE)
                    .modelUrl(modelDir.toString())
                    .build())
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("no TorchScript")
        .hasMessageContaining(modelDir.toString());
  }

  private static SentenceEmbedder load(Path dir, String name) {
    return SentenceEmbedder.builder()
        .cacheDir(SentenceEmbedderIT.MODEL_CACHE)
        .modelUrl(dir.toString())
        .modelName(name)
        .build();
  }
}
