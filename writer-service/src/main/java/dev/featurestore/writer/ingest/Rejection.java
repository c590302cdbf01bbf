package dev.featurestore.writer.ingest;

/**
 * Why a Kafka record cannot become a table row. The code is stable (clients and alerts match on
 * it); the message is for people and names the bad value.
 */
public record Rejection(Code code, String message) {

  public enum Code {
    INVALID_UTF8,
    NOT_JSON,
    NOT_AN_OBJECT,
    MISSING_FIELD,
    WRONG_TYPE,
    INVALID_DOC_ID,
    KEY_MISMATCH,
    EMPTY_TEXT,
    TEXT_TOO_LARGE,
    INVALID_EMBEDDING
  }

  public static Rejection of(Code code, String format, Object... args) {
    return new Rejection(code, String.format(format, args));
  }
}
