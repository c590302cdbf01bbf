package dev.featurestore.api;

import java.nio.charset.StandardCharsets;

/**
 * The rules every document id must follow, shared by the writer (which rejects bad ids to the
 * dead-letter topic) and the serving API (which answers 400), so that an id accepted at one end is
 * servable at the other.
 *
 * <p>An id is 1 to {@value #MAX_UTF8_BYTES} bytes of UTF-8, contains no control character (C0, DEL,
 * C1, line or paragraph separator), no unpaired surrogate, and is not only whitespace. Anything
 * else, including spaces, slashes and non-ASCII letters, is allowed: {@link MemcachedKeyScheme}
 * hashes ids that are not safe as raw keys.
 */
public final class DocIds {

  public static final int MAX_UTF8_BYTES = 512;

  private DocIds() {}

  /** Returns why {@code docId} is not a valid document id, or {@code null} if it is valid. */
  public static String violation(String docId) {
    if (docId == null) {
      return "doc id is missing";
    }
    if (docId.isEmpty()) {
      return "doc id is empty";
    }
    if (docId.isBlank()) {
      return "doc id is only whitespace";
    }
    for (int i = 0; i < docId.length(); i++) {
      char c = docId.charAt(i);
      if (Character.isISOControl(c) || c == '\u2028' || c == '\u2029') {
        return String.format("doc id contains control character U+%04X at index %d", (int) c, i);
      }
      if (Character.isHighSurrogate(c)) {
        if (i + 1 >= docId.length() || !Character.isLowSurrogate(docId.charAt(i + 1))) {
          return String.format("doc id contains an unpaired surrogate at index %d", i);
        }
        i++;
      } else if (Character.isLowSurrogate(c)) {
        return String.format("doc id contains an unpaired surrogate at index %d", i);
      }
    }
    int bytes = docId.getBytes(StandardCharsets.UTF_8).length;
    if (bytes > MAX_UTF8_BYTES) {
      return String.format(
          "doc id is %d bytes of UTF-8, more than the limit of %d", bytes, MAX_UTF8_BYTES);
    }
    return null;
  }

  public static boolean isValid(String docId) {
    return violation(docId) == null;
  }

  /**
   * Returns {@code docId} if valid; otherwise throws {@link InvalidDocIdException} naming the
   * problem.
   */
  public static String checkValid(String docId) {
    String violation = violation(docId);
    if (violation != null) {
      throw new InvalidDocIdException(docId, violation);
    }
    return docId;
  }

  /** A document id that breaks the rules of {@link DocIds}. */
  public static final class InvalidDocIdException extends IllegalArgumentException {
    private final String docId;
    private final String reason;

    InvalidDocIdException(String docId, String reason) {
      super("Invalid doc id: " + reason);
      this.docId = docId;
      this.reason = reason;
    }

    public String docId() {
      return docId;
    }

    public String reason() {
      return reason;
    }
  }
}
