package dev.featurestore.api;

/**
 * Which model produced an embedding: its name and a digest of its weights, so that rows from
 * different weights are never mixed up even when the name stays the same.
 */
public record ModelId(String name, String digest) {

  // compiled once: every value read from memcached builds a ModelId
  private static final java.util.regex.Pattern DIGEST =
      java.util.regex.Pattern.compile("[a-z0-9]+:[0-9a-f]{8,128}");

  public ModelId {
    Preconditions.checkArgument(name != null && !name.isBlank(), "Invalid model name: %s", name);
    Preconditions.checkArgument(
        digest != null && DIGEST.matcher(digest).matches(), "Invalid model digest: %s", digest);
  }

  public static ModelId of(String name, String digest) {
    return new ModelId(name, digest);
  }

  @Override
  public String toString() {
    return name + "@" + digest;
  }
}
