package dev.featurestore.writer.embedding;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.util.HexFormat;

/**
 * Files shipped inside jars (model weights, native libraries), copied out once into a cache
 * directory.
 */
final class ClasspathResources {

  private ClasspathResources() {}

  /**
   * The resource as a file in {@code dir}; written through a staging file so a concurrent reader
   * never sees half.
   */
  static Path extractOnce(String resource, Path dir) throws IOException {
    Path target = dir.resolve(resource.substring(resource.lastIndexOf('/') + 1));
    if (Files.exists(target)) {
      return target;
    }
    Files.createDirectories(dir);
    Path staging = dir.resolve(target.getFileName() + "." + ProcessHandle.current().pid() + ".tmp");
    try (InputStream in = open(resource)) {
      Files.copy(in, staging, StandardCopyOption.REPLACE_EXISTING);
    }
    Files.move(
        staging, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    return target;
  }

  /** Hex SHA-256 of the resources' bytes, in order. */
  static String sha256(String... resources) throws IOException {
    MessageDigest sha256 = Digests.newSha256();
    for (String resource : resources) {
      try (InputStream in = open(resource)) {
        Digests.update(sha256, in);
      }
    }
    return HexFormat.of().formatHex(sha256.digest());
  }

  private static InputStream open(String resource) {
    InputStream in = ClasspathResources.class.getClassLoader().getResourceAsStream(resource);
    if (in == null) {
      throw new IllegalStateException(
          "Resource "
              + resource
              + " is not on the classpath: is the jar that holds it a dependency?");
    }
    return in;
  }
}
