package dev.featurestore.writer.embedding;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;

/** SHA-256 digests that name models (their identity in every row) and cache directories. */
final class Digests {

  private Digests() {}

  /**
   * Hex SHA-256 over the files' names and contents, in the order given: renaming a file changes it
   * too.
   */
  static String sha256(List<Path> files) {
    MessageDigest sha256 = newSha256();
    for (Path file : files) {
      sha256.update(file.getFileName().toString().getBytes(StandardCharsets.UTF_8));
      sha256.update((byte) 0);
      try (InputStream in = Files.newInputStream(file)) {
        update(sha256, in);
      } catch (IOException e) {
        throw new UncheckedIOException("Cannot hash the model file " + file, e);
      }
    }
    return HexFormat.of().formatHex(sha256.digest());
  }

  static MessageDigest newSha256() {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is part of every Java runtime", e);
    }
  }

  static void update(MessageDigest digest, InputStream in) throws IOException {
    byte[] buffer = new byte[1 << 16];
    for (int n = in.read(buffer); n >= 0; n = in.read(buffer)) {
      digest.update(buffer, 0, n);
    }
  }
}
