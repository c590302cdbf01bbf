package dev.featurestore.api;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Base64;

/**
 * Maps a document id to its Memcached key in one generation of the online store. No id can break
 * out of its key: memcached's text protocol ends a key at whitespace and limits it to 250 bytes, so
 * ids that are not short printable ASCII are replaced by a SHA-256 digest.
 *
 * <p>Raw keys look like {@code fs1:7:doc-42}, hashed keys like {@code fs1#7:<43 base64url chars>}
 * (namespace, generation, id); the different separators mean a raw id can never collide with a
 * hashed one. The value carries the doc id, so a reader can check that a hashed key really belongs
 * to the id it asked for.
 *
 * <p>A generation is one complete copy of the table's state. The replicator fills a new generation
 * on a full resync and switches readers to it only once it is complete (see {@code
 * dev.featurestore.memcached.OnlineStoreGeneration}), so ids deleted while the replicator could not
 * follow the table's history are not served from the old copy. Keys outside any generation ({@link
 * #markerKey}) start with {@code <namespace>!}, which no feature key does.
 */
public final class MemcachedKeyScheme {

  public static final int MAX_KEY_BYTES = 250;
  private static final String DEFAULT_NAMESPACE = "fs1";

  private final String namespace;
  private final long generation;
  private final String rawPrefix;
  private final String hashedPrefix;

  private MemcachedKeyScheme(String namespace, long generation) {
    Preconditions.checkArgument(
        namespace != null && namespace.matches("[A-Za-z0-9_.-]{1,32}"),
        "Invalid key namespace: %s",
        namespace);
    Preconditions.checkArgument(generation >= 0, "Invalid generation: %s", generation);
    this.namespace = namespace;
    this.generation = generation;
    this.rawPrefix = namespace + ':' + generation + ':';
    this.hashedPrefix = namespace + '#' + generation + ':';
  }

  public static MemcachedKeyScheme defaultScheme() {
    return new MemcachedKeyScheme(DEFAULT_NAMESPACE, 0);
  }

  /** The scheme of a namespace, in generation 0 (before any generation was published). */
  public static MemcachedKeyScheme withNamespace(String namespace) {
    return new MemcachedKeyScheme(namespace, 0);
  }

  /** The same namespace in another generation. */
  public MemcachedKeyScheme inGeneration(long newGeneration) {
    return newGeneration == generation ? this : new MemcachedKeyScheme(namespace, newGeneration);
  }

  public String namespace() {
    return namespace;
  }

  public long generation() {
    return generation;
  }

  /** The key of a valid document id (see {@link DocIds}) in this scheme's generation. */
  public String keyFor(String docId) {
    DocIds.checkValid(docId);
    if (docId.length() + rawPrefix.length() <= MAX_KEY_BYTES && isPrintableAscii(docId)) {
      return rawPrefix + docId;
    }
    return hashedPrefix + sha256(docId);
  }

  /**
   * A bookkeeping key of the online store itself (sentinels, markers), shared by all generations:
   * {@code <namespace>!<name>}.
   */
  public String markerKey(String name) {
    Preconditions.checkArgument(
        name != null && name.matches("[A-Za-z0-9_.:-]{1,64}"), "Invalid marker name: %s", name);
    return namespace + '!' + name;
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
      byte[] digest =
          MessageDigest.getInstance("SHA-256").digest(docId.getBytes(StandardCharsets.UTF_8));
      return Base64.getUrlEncoder().withoutPadding().encodeToString(digest);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is part of every Java runtime", e);
    }
  }

  @Override
  public String toString() {
    return "MemcachedKeyScheme(" + namespace + ", generation " + generation + ")";
  }
}
