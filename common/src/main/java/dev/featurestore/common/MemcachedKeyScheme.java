package dev.featurestore.common;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Base64;

/**
 * Maps a document id to its Memcached key. No id can break out of its key: memcached's text protocol ends a key at
 * whitespace and limits it to 250 bytes, so ids that are not short printable ASCII are replaced by a SHA-256 digest.
 *
 * <p>Raw keys look like {@code fs1:doc-42}, hashed keys like {@code fs1#<43 base64url chars>}; the different
 * separators mean a raw id can never collide with a hashed one. The value carries the doc id, so a reader can
 * check that a hashed key really belongs to the id it asked for.
 */
public final class MemcachedKeyScheme {

  public static final int MAX_KEY_BYTES = 250;
  private static final String DEFAULT_NAMESPACE = "fs1";

  private final String namespace;

  private MemcachedKeyScheme(String namespace) {
    Preconditions.checkArgument(
        namespace != null && namespace.matches("[A-Za-z0-9_.-]{1,32}"), "Invalid key namespace: %s", namespace);
    this.namespace = namespace;
  }

  public static MemcachedKeyScheme defaultScheme() {
    return new MemcachedKeyScheme(DEFAULT_NAMESPACE);
  }

  public static MemcachedKeyScheme withNamespace(String namespace) {
    return new MemcachedKeyScheme(namespace);
  }

  public String namespace() {
    return namespace;
  }

  /** The key of a valid document id (see {@link DocIds}). */
  public String keyFor(String docId) {
    DocIds.checkValid(docId);
    if (docId.length() + namespace.length() + 1 <= MAX_KEY_BYTES && isPrintableAscii(docId)) {
      return namespace + ':' + docId;
    }
    return namespace + '#' + sha256(docId);
  }

  private static boolean isPrintableAscii(String s) {
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c <= 0x20 || c >= 0x7f) {
        return false;
      }
    }
    return true;
  }

  private static String sha256(String docId) {
    try {
      byte[] digest = MessageDigest.getInstance("SHA-256").digest(docId.getBytes(StandardCharsets.UTF_8));
      return Base64.getUrlEncoder().withoutPadding().encodeToString(digest);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is part of every Java runtime", e);
    }
  }

  @Override
  public String toString() {
    return "MemcachedKeyScheme(" + namespace + ")";
  }
}
