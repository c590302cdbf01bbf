package dev.featurestore.writer.ingest;

import dev.featurestore.api.DocIds;
import dev.featurestore.api.Timestamps;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.text.Normalizer;
import java.time.Instant;
import tools.jackson.core.JacksonException;
import tools.jackson.core.JsonParser;
import tools.jackson.core.JsonToken;
import tools.jackson.core.ObjectReadContext;
import tools.jackson.core.StreamReadConstraints;
import tools.jackson.core.json.JsonFactory;

/**
 * Turns a Kafka record (key and value as bytes; the value {@code {"doc_id": "...", "text": "..."}},
 * UTF-8 JSON) into a {@link Document}, a tombstone (a null value deletes the doc id named by the
 * key, or erases its history when the record carries the header {@value #ERASURE_HEADER}: {@code
 * true}) or a {@link Rejection}. Pure: no I/O, so every rule is unit-tested. Unknown fields are
 * ignored, so producers may add metadata without breaking ingestion.
 *
 * <p>The rules, in the order they are checked (the README's Kafka contract table says the same):
 *
 * <ol>
 *   <li>The key, when present, must be valid UTF-8 ({@code INVALID_UTF8}, naming the key). An empty
 *       key is no key.
 *   <li>A null value is a tombstone: it needs a key ({@code MISSING_FIELD}) that is a valid doc id
 *       ({@code INVALID_DOC_ID}).
 *   <li>The raw value must be at most {@link #maxValueBytes(int)} bytes ({@code TEXT_TOO_LARGE},
 *       naming the value): a guard against absurd values only, sized so that it never rejects a
 *       document whose text and id are within their limits however they are escaped (see {@link
 *       #maxValueBytes(int)}).
 *   <li>The value must be valid UTF-8 ({@code INVALID_UTF8}), then one JSON value ({@code
 *       NOT_JSON}; a UTF-8 BOM is not JSON, nor is anything after the value, nor nesting deeper
 *       than {@value #MAX_NESTING_DEPTH}), and an object ({@code NOT_AN_OBJECT}).
 *   <li>{@code doc_id}: present and not null ({@code MISSING_FIELD}), a string ({@code
 *       WRONG_TYPE}), a valid doc id ({@code INVALID_DOC_ID}), equal to the key if there is one
 *       ({@code KEY_MISMATCH}).
 *   <li>{@code text}: present and not null, a string, no unpaired surrogate ({@code INVALID_UTF8}:
 *       UTF-8 cannot encode one), at most {@code maxTextBytes} bytes of UTF-8 once decoded ({@code
 *       TEXT_TOO_LARGE}), with content ({@code EMPTY_TEXT}, see {@link #hasContent(String)}).
 * </ol>
 *
 * A field given twice keeps its last value (as JSON object parsers commonly do). Ignored fields are
 * skipped without being converted, so a huge number or a long name in metadata does not reject the
 * record.
 */
public final class DocumentParser {

  /**
   * A tombstone with this header, valued {@code true}, is an erasure: every row of the doc id
   * leaves the table (its history too), instead of a deletion kept as history.
   */
  public static final String ERASURE_HEADER = "featurestore.erase";

  /**
   * Room in a record value for everything but the doc id's and the text's characters: the braces,
   * field names (even escaped), separators, whitespace, unknown fields and earlier duplicates of a
   * field.
   */
  static final int ENVELOPE_BYTES = 64 * 1024;

  /**
   * The longest JSON escape per UTF-8 byte: {@code \}{@code u0001} is 6 bytes for a 1-byte
   * character.
   */
  static final int MAX_ESCAPE_EXPANSION = 6;

  /** Deeper JSON (only possible in ignored fields) is rejected as {@code NOT_JSON}. */
  static final int MAX_NESTING_DEPTH = 500;

  private final JsonFactory json;
  private final int maxTextBytes;
  private final int maxValueBytes;

  public DocumentParser(int maxTextBytes) {
    this.maxTextBytes = maxTextBytes;
    this.maxValueBytes = maxValueBytes(maxTextBytes);
    // the raw-size guard bounds the work; within it, only the nesting depth is limited
    this.json =
        JsonFactory.builder()
            .streamReadConstraints(
                StreamReadConstraints.builder()
                    .maxDocumentLength(maxValueBytes)
                    .maxStringLength(maxValueBytes)
                    .maxNameLength(maxValueBytes)
                    .maxNumberLength(maxValueBytes)
                    .maxNestingDepth(MAX_NESTING_DEPTH)
                    .build())
            .build();
  }

  /**
   * The raw-size guard for a text limit: {@code 6 × (maxTextBytes + 512) + 64 KiB} (461,824 bytes
   * for the default 64 KiB). A JSON escape takes at most 6 bytes per UTF-8 byte it stands for
   * ({@code \}{@code u0001}; a 2-byte character escapes to 6 bytes, a 4-byte one to 12), so a text
   * of {@code maxTextBytes} and an id of 512 bytes take at most 6 times that however they are
   * written; {@link #ENVELOPE_BYTES} covers the rest. A value over the guard therefore always has a
   * text or id over its limit, or more than 64 KiB of other content.
   */
  public static int maxValueBytes(int maxTextBytes) {
    long bytes =
        (long) MAX_ESCAPE_EXPANSION * ((long) maxTextBytes + DocIds.MAX_UTF8_BYTES)
            + ENVELOPE_BYTES;
    return (int) Math.min(bytes, Integer.MAX_VALUE - 16);
  }

  /**
   * The outcome for one record: exactly one of {@code document}, {@code tombstoneDocId} and {@code
   * rejection} is set.
   */
  public record Result(Document document, String tombstoneDocId, Rejection rejection) {
    static Result accepted(Document document) {
      return new Result(document, null, null);
    }

    static Result tombstone(String docId) {
      return new Result(null, docId, null);
    }

    static Result rejected(Rejection rejection) {
      return new Result(null, null, rejection);
    }

    public boolean isAccepted() {
      return document != null;
    }

    public boolean isTombstone() {
      return tombstoneDocId != null;
    }
  }

  /**
   * {@code key}: the record key's bytes; null or empty is no key. {@code value}: null is a
   * tombstone.
   */
  public Result parse(byte[] keyBytes, byte[] value, long timestampMillis) {
    String key = null;
    if (keyBytes != null && keyBytes.length > 0) {
      key = utf8(keyBytes);
      if (key == null) {
        return Result.rejected(
            Rejection.of(
                Rejection.Code.INVALID_UTF8,
                "record key is not valid UTF-8 (%d bytes)",
                keyBytes.length));
      }
    }
    if (value == null) {
      // Kafka's convention: a null value erases the key
      if (key == null) {
        return Result.rejected(
            Rejection.of(
                Rejection.Code.MISSING_FIELD, "tombstone (null value) without a record key"));
      }
      String violation = DocIds.violation(key);
      return violation == null
          ? Result.tombstone(key)
          : Result.rejected(
              Rejection.of(
                  Rejection.Code.INVALID_DOC_ID, "invalid doc id in tombstone key: %s", violation));
    }
    if (value.length > maxValueBytes) {
      return Result.rejected(
          Rejection.of(
              Rejection.Code.TEXT_TOO_LARGE,
              "record value is %d bytes, more than the limit of %d (6 x (max-text-bytes + 512) + 64 KiB)",
              value.length,
              maxValueBytes));
    }
    String decoded = utf8(value);
    if (decoded == null) {
      return Result.rejected(
          Rejection.of(Rejection.Code.INVALID_UTF8, "record value is not valid UTF-8"));
    }
    Fields fields;
    try {
      fields = read(decoded);
    } catch (JacksonException e) {
      return Result.rejected(
          Rejection.of(
              Rejection.Code.NOT_JSON, "record value is not JSON: %s", e.getOriginalMessage()));
    }
    if (fields.trailing >= 0) {
      return Result.rejected(
          Rejection.of(
              Rejection.Code.NOT_JSON,
              "record value is not JSON: a second value starts at index %d",
              fields.trailing));
    }
    if (fields.rootType != null) {
      return Result.rejected(
          Rejection.of(
              Rejection.Code.NOT_AN_OBJECT,
              "record value is JSON but not an object: %s",
              fields.rootType));
    }
    if (fields.docId == null) {
      return Result.rejected(Rejection.of(Rejection.Code.MISSING_FIELD, "field doc_id is missing"));
    }
    if (fields.docId.type != null) {
      return Result.rejected(
          Rejection.of(
              Rejection.Code.WRONG_TYPE,
              "field doc_id must be a string, not %s",
              fields.docId.type));
    }
    String docId = fields.docId.string;
    String violation = DocIds.violation(docId);
    if (violation != null) {
      return Result.rejected(
          Rejection.of(Rejection.Code.INVALID_DOC_ID, "invalid doc_id: %s", violation));
    }
    if (key != null && !key.equals(docId)) {
      return Result.rejected(
          Rejection.of(
              Rejection.Code.KEY_MISMATCH,
              "record key %s differs from doc_id %s",
              abbreviate(key),
              abbreviate(docId)));
    }
    if (fields.text == null) {
      return Result.rejected(Rejection.of(Rejection.Code.MISSING_FIELD, "field text is missing"));
    }
    if (fields.text.type != null) {
      return Result.rejected(
          Rejection.of(
              Rejection.Code.WRONG_TYPE, "field text must be a string, not %s", fields.text.type));
    }
    String text = fields.text.string;
    long textBytes = utf8Length(text);
    if (textBytes < 0) {
      return Result.rejected(
          Rejection.of(
              Rejection.Code.INVALID_UTF8,
              "field text contains an unpaired surrogate (a \\u%04X escape) at index %d, which UTF-8 cannot encode",
              (int) text.charAt((int) -textBytes - 1),
              -textBytes - 1));
    }
    if (textBytes > maxTextBytes) {
      return Result.rejected(
          Rejection.of(
              Rejection.Code.TEXT_TOO_LARGE,
              "field text is %d bytes of UTF-8, more than the limit of %d",
              textBytes,
              maxTextBytes));
    }
    if (!hasContent(text)) {
      return Result.rejected(
          Rejection.of(
              Rejection.Code.EMPTY_TEXT,
              text.isEmpty()
                  ? "field text is empty"
                  : "field text has no content: no letter, number, symbol or punctuation after NFKC normalisation"));
    }
    return Result.accepted(
        new Document(docId, text, Timestamps.truncate(Instant.ofEpochMilli(timestampMillis))));
  }

  /**
   * Whether a text has content: after Unicode NFKC normalisation it has a code point in the general
   * category Letter, Number, Symbol or Punctuation (as the JVM's Unicode tables classify it).
   * Whitespace (including NBSP and U+3000), controls, format characters (zero-width spaces and
   * joiners, BOM, soft hyphen), combining marks alone, private-use and unassigned code points are
   * not content.
   */
  public static boolean hasContent(String text) {
    for (int i = 0; i < text.length(); i++) {
      // printable ASCII is Letter, Number, Punctuation or Symbol, and NFKC keeps it or composes it
      // with a following
      // mark into a letter or symbol (e + U+0301 = é, = + U+0338 = ≠): content, without normalising
      // a long text
      char c = text.charAt(i);
      if (c > 0x20 && c < 0x7F) {
        return true;
      }
    }
    String normalized = Normalizer.normalize(text, Normalizer.Form.NFKC);
    for (int i = 0; i < normalized.length(); ) {
      int codePoint = normalized.codePointAt(i);
      if (isContent(Character.getType(codePoint))) {
        return true;
      }
      i += Character.charCount(codePoint);
    }
    return false;
  }

  // categories L, N, S and P: letters, numbers, symbols, punctuation
  private static boolean isContent(int type) {
    return switch (type) {
      case Character.UPPERCASE_LETTER,
          Character.LOWERCASE_LETTER,
          Character.TITLECASE_LETTER,
          Character.MODIFIER_LETTER,
          Character.OTHER_LETTER,
          Character.DECIMAL_DIGIT_NUMBER,
          Character.LETTER_NUMBER,
          Character.OTHER_NUMBER,
          Character.MATH_SYMBOL,
          Character.CURRENCY_SYMBOL,
          Character.MODIFIER_SYMBOL,
          Character.OTHER_SYMBOL,
          Character.CONNECTOR_PUNCTUATION,
          Character.DASH_PUNCTUATION,
          Character.START_PUNCTUATION,
          Character.END_PUNCTUATION,
          Character.INITIAL_QUOTE_PUNCTUATION,
          Character.FINAL_QUOTE_PUNCTUATION,
          Character.OTHER_PUNCTUATION ->
          true;
      default -> false;
    };
  }

  /** A field's value: a string, or the JSON type it has instead. */
  private record Field(String string, String type) {}

  /**
   * What the value holds: {@code rootType} if it is not an object, else the last {@code doc_id} and
   * {@code text}.
   */
  private static final class Fields {
    String rootType;

    /** Where a second JSON value starts, or -1. */
    long trailing = -1;

    Field docId;
    Field text;
  }

  /**
   * Streams through the whole value (so malformed JSON anywhere is {@code NOT_JSON}), keeping only
   * the two fields.
   */
  private Fields read(String value) {
    Fields fields = new Fields();
    try (JsonParser parser = json.createParser(ObjectReadContext.empty(), value)) {
      JsonToken root = parser.nextToken();
      if (root == null) {
        fields.rootType = "empty";
      } else if (root != JsonToken.START_OBJECT) {
        fields.rootType = typeOf(root);
        parser.skipChildren();
      } else {
        for (JsonToken token = parser.nextToken();
            token != JsonToken.END_OBJECT;
            token = parser.nextToken()) {
          String name = parser.currentName();
          JsonToken valueToken = parser.nextToken();
          if ("doc_id".equals(name)) {
            fields.docId = field(parser, valueToken);
          } else if ("text".equals(name)) {
            fields.text = field(parser, valueToken);
          } else {
            parser.skipChildren();
          }
        }
      }
      if (parser.nextToken() != null) {
        fields.trailing = parser.currentTokenLocation().getCharOffset();
      }
    }
    return fields;
  }

  /** Null for a JSON null (a missing field). */
  private static Field field(JsonParser parser, JsonToken token) {
    if (token == JsonToken.VALUE_NULL) {
      return null;
    }
    if (token == JsonToken.VALUE_STRING) {
      return new Field(parser.getString(), null);
    }
    parser.skipChildren();
    return new Field(null, typeOf(token));
  }

  private static String typeOf(JsonToken token) {
    return switch (token) {
      case START_OBJECT -> "OBJECT";
      case START_ARRAY -> "ARRAY";
      case VALUE_STRING -> "STRING";
      case VALUE_NUMBER_INT, VALUE_NUMBER_FLOAT -> "NUMBER";
      case VALUE_TRUE, VALUE_FALSE -> "BOOLEAN";
      case VALUE_NULL -> "NULL";
      default -> token.name();
    };
  }

  /**
   * Strict UTF-8 (no overlong forms, no encoded surrogates, nothing truncated); null if {@code
   * bytes} is not.
   */
  private static String utf8(byte[] bytes) {
    try {
      return StandardCharsets.UTF_8
          .newDecoder()
          .onMalformedInput(CodingErrorAction.REPORT)
          .onUnmappableCharacter(CodingErrorAction.REPORT)
          .decode(ByteBuffer.wrap(bytes))
          .toString();
    } catch (CharacterCodingException e) {
      return null;
    }
  }

  /** The UTF-8 length of {@code s}, or {@code -(index + 1)} of its first unpaired surrogate. */
  static long utf8Length(String s) {
    long bytes = 0;
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c < 0x80) {
        bytes += 1;
      } else if (c < 0x800) {
        bytes += 2;
      } else if (Character.isHighSurrogate(c)
          && i + 1 < s.length()
          && Character.isLowSurrogate(s.charAt(i + 1))) {
        bytes += 4;
        i++;
      } else if (Character.isSurrogate(c)) {
        return -(i + 1);
      } else {
        bytes += 3;
      }
    }
    return bytes;
  }

  /** At most 80 characters, not cutting a surrogate pair in two. */
  private static String abbreviate(String s) {
    if (s.length() <= 80) {
      return s;
    }
    int end = Character.isHighSurrogate(s.charAt(76)) ? 76 : 77;
    return s.substring(0, end) + "...";
  }
}
