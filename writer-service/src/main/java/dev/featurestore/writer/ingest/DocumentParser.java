package dev.featurestore.writer.ingest;

import dev.featurestore.common.DocIds;
import dev.featurestore.common.Timestamps;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.ObjectMapper;
import tools.jackson.databind.json.JsonMapper;

/**
 * Turns a Kafka record value ({@code {"doc_id": "...", "text": "..."}}, UTF-8 JSON) into a {@link Document} or a
 * {@link Rejection}; a null value (tombstone) erases the doc id named by the key. Pure: no I/O, so every rule is unit-tested. Unknown fields are ignored, so producers may add
 * metadata without breaking ingestion.
 */
public final class DocumentParser {

  private static final ObjectMapper JSON = JsonMapper.builder().build();

  /** Room for the JSON around the text: doc id (512 bytes at most), field names, escapes, unknown fields. */
  private static final int ENVELOPE_BYTES = 4096;

  private final int maxTextBytes;
  private final int maxValueBytes;

  public DocumentParser(int maxTextBytes) {
    this.maxTextBytes = maxTextBytes;
    this.maxValueBytes = maxTextBytes + ENVELOPE_BYTES;
  }

  /** The outcome for one record: exactly one of {@code document}, {@code tombstoneDocId} and {@code rejection} is set. */
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

  public Result parse(String key, byte[] value, long timestampMillis) {
    if (value == null) {
      // Kafka's convention: a null value erases the key
      if (key == null) {
        return Result.rejected(Rejection.of(Rejection.Code.MISSING_FIELD, "tombstone (null value) without a record key"));
      }
      String violation = DocIds.violation(key);
      return violation == null
          ? Result.tombstone(key)
          : Result.rejected(Rejection.of(Rejection.Code.INVALID_DOC_ID, "invalid doc id in tombstone key: %s", violation));
    }
    if (value.length > maxValueBytes) {
      return Result.rejected(
          Rejection.of(Rejection.Code.TEXT_TOO_LARGE, "record value is %d bytes, more than the limit of %d", value.length, maxValueBytes));
    }
    String json;
    try {
      json =
          StandardCharsets.UTF_8
              .newDecoder()
              .onMalformedInput(CodingErrorAction.REPORT)
              .onUnmappableCharacter(CodingErrorAction.REPORT)
              .decode(ByteBuffer.wrap(value))
              .toString();
    } catch (CharacterCodingException e) {
      return Result.rejected(Rejection.of(Rejection.Code.INVALID_UTF8, "record value is not valid UTF-8"));
    }
    JsonNode node;
    try {
      node = JSON.readTree(json);
    } catch (JacksonException e) {
      return Result.rejected(Rejection.of(Rejection.Code.NOT_JSON, "record value is not JSON: %s", e.getOriginalMessage()));
    }
    if (node == null || !node.isObject()) {
      return Result.rejected(
          Rejection.of(Rejection.Code.NOT_AN_OBJECT, "record value is JSON but not an object: %s", node == null ? "empty" : node.getNodeType()));
    }
    JsonNode docIdNode = node.get("doc_id");
    JsonNode textNode = node.get("text");
    if (docIdNode == null || docIdNode.isNull()) {
      return Result.rejected(Rejection.of(Rejection.Code.MISSING_FIELD, "field doc_id is missing"));
    }
    if (!docIdNode.isString()) {
      return Result.rejected(Rejection.of(Rejection.Code.WRONG_TYPE, "field doc_id must be a string, not %s", docIdNode.getNodeType()));
    }
    String docId = docIdNode.stringValue();
    String violation = DocIds.violation(docId);
    if (violation != null) {
      return Result.rejected(Rejection.of(Rejection.Code.INVALID_DOC_ID, "invalid doc_id: %s", violation));
    }
    if (key != null && !key.equals(docId)) {
      return Result.rejected(
          Rejection.of(Rejection.Code.KEY_MISMATCH, "record key %s differs from doc_id %s", abbreviate(key), abbreviate(docId)));
    }
    if (textNode == null || textNode.isNull()) {
      return Result.rejected(Rejection.of(Rejection.Code.MISSING_FIELD, "field text is missing"));
    }
    if (!textNode.isString()) {
      return Result.rejected(Rejection.of(Rejection.Code.WRONG_TYPE, "field text must be a string, not %s", textNode.getNodeType()));
    }
    String text = textNode.stringValue();
    if (text.isBlank()) {
      return Result.rejected(Rejection.of(Rejection.Code.EMPTY_TEXT, "field text is empty or only whitespace"));
    }
    int textBytes = text.getBytes(StandardCharsets.UTF_8).length;
    if (textBytes > maxTextBytes) {
      return Result.rejected(
          Rejection.of(Rejection.Code.TEXT_TOO_LARGE, "field text is %d bytes, more than the limit of %d", textBytes, maxTextBytes));
    }
    return Result.accepted(new Document(docId, text, Timestamps.truncate(Instant.ofEpochMilli(timestampMillis))));
  }

  private static String abbreviate(String s) {
    return s.length() <= 80 ? s : s.substring(0, 77) + "...";
  }
}
