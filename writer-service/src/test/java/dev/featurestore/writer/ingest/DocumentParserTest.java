package dev.featurestore.writer.ingest;

import static org.assertj.core.api.Assertions.assertThat;

import dev.featurestore.writer.ingest.Rejection.Code;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Arrays;
import java.util.EnumSet;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class DocumentParserTest {

  private static final int MAX_TEXT_BYTES = 1000;
  private static final long TIMESTAMP_MILLIS = 1_795_601_730_123L; // 2026-11-25T10:15:30.123Z

  private final DocumentParser parser = new DocumentParser(MAX_TEXT_BYTES);

  @Test
  void acceptsAWellFormedDocument() {
    DocumentParser.Result result = parse("doc-1", "{\"doc_id\":\"doc-1\",\"text\":\"A man is eating food.\"}");

    assertThat(result.isAccepted()).isTrue();
    assertThat(result.rejection()).isNull();
    assertThat(result.document()).isEqualTo(new Document("doc-1", "A man is eating food.", Instant.parse("2026-11-25T10:15:30.123Z")));
  }

  @Test
  void eventTimeIsTheRecordTimestampInMillis() {
    Document document = parse(null, "{\"doc_id\":\"d\",\"text\":\"t\"}", 1L).document();
    assertThat(document.eventTime()).isEqualTo(Instant.ofEpochMilli(1L)).isEqualTo(Instant.parse("1970-01-01T00:00:00.001Z"));
    assertThat(parse(null, "{\"doc_id\":\"d\",\"text\":\"t\"}", TIMESTAMP_MILLIS).document().eventTime().toEpochMilli())
        .isEqualTo(TIMESTAMP_MILLIS);
  }

  @Test
  void nullKeyIsAccepted() {
    DocumentParser.Result result = parse(null, "{\"doc_id\":\"doc-1\",\"text\":\"hello\"}");
    assertThat(result.isAccepted()).isTrue();
    assertThat(result.document().docId()).isEqualTo("doc-1");
  }

  @Test
  void unknownFieldsAreIgnored() {
    DocumentParser.Result result =
        parse("doc-1", "{\"source\":\"crawler\",\"doc_id\":\"doc-1\",\"meta\":{\"lang\":\"en\",\"tags\":[1,2]},\"text\":\"hello\",\"score\":0.5}");
    assertThat(result.isAccepted()).as("rejection %s", result.rejection()).isTrue();
    assertThat(result.document().text()).isEqualTo("hello");
  }

  @Test
  void unicodeTextAndIdArriveUnchanged() {
    String text = "Grüße aus Köln — 文档 \uD83D\uDE00\nzweite Zeile";
    String docId = "dokument/ü \uD83D\uDCC4";
    String json = "{\"doc_id\":\"" + docId + "\",\"text\":\"" + text.replace("\n", "\\n") + "\"}";

    DocumentParser.Result result = parse(docId, json);

    assertThat(result.isAccepted()).as("rejection %s", result.rejection()).isTrue();
    assertThat(result.document().text()).isEqualTo(text);
    assertThat(result.document().docId()).isEqualTo(docId);
  }

  @Test
  void jsonEscapesAreDecoded() {
    DocumentParser.Result result = parse("é", "{\"doc_id\":\"\\u00e9\",\"text\":\"tab\\there \\\"quoted\\\"\"}");
    assertThat(result.document().docId()).isEqualTo("é");
    assertThat(result.document().text()).isEqualTo("tab\there \"quoted\"");
  }

  @Test
  void textOfExactlyTheLimitIsAccepted() {
    String text = "é".repeat(MAX_TEXT_BYTES / 2);
    assertThat(parse("d", "{\"doc_id\":\"d\",\"text\":\"" + text + "\"}").document().text()).isEqualTo(text);
  }

  @Test
  void nullValueIsATombstoneForTheKey() {
    DocumentParser.Result result = parser.parse("doc-1", null, TIMESTAMP_MILLIS);
    assertThat(result.isTombstone()).isTrue();
    assertThat(result.tombstoneDocId()).isEqualTo("doc-1");
    assertThat(result.isAccepted()).isFalse();
    assertThat(result.rejection()).isNull();
  }

  @Test
  void tombstoneWithoutAValidKeyIsRejected() {
    assertRejected(parser.parse(null, null, TIMESTAMP_MILLIS), Code.MISSING_FIELD, "tombstone (null value) without a record key");
    assertThat(parser.parse("bad\nkey", null, TIMESTAMP_MILLIS).rejection().code()).isEqualTo(Code.INVALID_DOC_ID);
  }

  @Test
  void invalidUtf8IsRejected() {
    byte[] value = {'{', '"', 'a', '"', ':', '"', (byte) 0xC3, (byte) 0x28, '"', '}'};
    assertRejected(parser.parse(null, value, TIMESTAMP_MILLIS), Code.INVALID_UTF8, "record value is not valid UTF-8");
  }

  @Test
  void overlongAndSurrogateUtf8EncodingsAreRejected() {
    byte[] overlongSlash = {'"', (byte) 0xC0, (byte) 0xAF, '"'};
    byte[] encodedSurrogate = {'"', (byte) 0xED, (byte) 0xA0, (byte) 0x80, '"'};
    byte[] truncatedSequence = {'"', 'a', (byte) 0xE2, (byte) 0x82};
    assertThat(parser.parse(null, overlongSlash, 0).rejection().code()).isEqualTo(Code.INVALID_UTF8);
    assertThat(parser.parse(null, encodedSurrogate, 0).rejection().code()).isEqualTo(Code.INVALID_UTF8);
    assertThat(parser.parse(null, truncatedSequence, 0).rejection().code()).isEqualTo(Code.INVALID_UTF8);
  }

  @ParameterizedTest
  @ValueSource(strings = {"{not json", "{\"doc_id\":\"d\",\"text\":\"t\",}", "{'doc_id':'d','text':'t'}", "{\"doc_id\":\"d\",\"text\":\"t\"} trailing"})
  void malformedJsonIsRejectedWithTheParserMessage(String value) {
    DocumentParser.Result result = parse(null, value);
    assertThat(result.isAccepted()).isFalse();
    assertThat(result.rejection().code()).isEqualTo(Code.NOT_JSON);
    assertThat(result.rejection().message()).startsWith("record value is not JSON: ").hasSizeGreaterThan("record value is not JSON: ".length());
  }

  @Test
  void secondJsonValueAfterTheObjectIsRejected() {
    assertThat(parse(null, "{\"doc_id\":\"d\",\"text\":\"t\"} {}").rejection().code()).isEqualTo(Code.NOT_JSON);
  }

  @Test
  void arrayIsNotAnObject() {
    assertRejected(parse(null, "[1]"), Code.NOT_AN_OBJECT, "record value is JSON but not an object: ARRAY");
  }

  @Test
  void stringIsNotAnObject() {
    assertRejected(parse(null, "\"x\""), Code.NOT_AN_OBJECT, "record value is JSON but not an object: STRING");
  }

  @Test
  void numberIsNotAnObject() {
    assertRejected(parse(null, "42"), Code.NOT_AN_OBJECT, "record value is JSON but not an object: NUMBER");
  }

  @Test
  void jsonNullAndEmptyValuesAreNotObjects() {
    assertThat(parse(null, "null").rejection().code()).isEqualTo(Code.NOT_AN_OBJECT);
    assertThat(parse(null, "").rejection().code()).isEqualTo(Code.NOT_AN_OBJECT);
    assertThat(parse(null, "  \n").rejection().code()).isEqualTo(Code.NOT_AN_OBJECT);
  }

  @Test
  void missingDocIdIsRejected() {
    assertRejected(parse(null, "{\"text\":\"hello\"}"), Code.MISSING_FIELD, "field doc_id is missing");
    assertRejected(parse(null, "{\"doc_id\":null,\"text\":\"hello\"}"), Code.MISSING_FIELD, "field doc_id is missing");
  }

  @Test
  void missingTextIsRejected() {
    assertRejected(parse("d", "{\"doc_id\":\"d\"}"), Code.MISSING_FIELD, "field text is missing");
    assertRejected(parse("d", "{\"doc_id\":\"d\",\"text\":null}"), Code.MISSING_FIELD, "field text is missing");
  }

  @Test
  void numericDocIdIsTheWrongType() {
    assertRejected(parse(null, "{\"doc_id\":42,\"text\":\"hello\"}"), Code.WRONG_TYPE, "field doc_id must be a string, not NUMBER");
  }

  @Test
  void objectTextIsTheWrongType() {
    assertRejected(parse("d", "{\"doc_id\":\"d\",\"text\":{\"body\":\"hello\"}}"), Code.WRONG_TYPE, "field text must be a string, not OBJECT");
  }

  @Test
  void arrayOrBooleanFieldsAreTheWrongType() {
    assertThat(parse(null, "{\"doc_id\":[\"d\"],\"text\":\"t\"}").rejection().message()).isEqualTo("field doc_id must be a string, not ARRAY");
    assertThat(parse("d", "{\"doc_id\":\"d\",\"text\":true}").rejection().message()).isEqualTo("field text must be a string, not BOOLEAN");
  }

  @Test
  void docIdBreakingTheIdRulesIsRejectedWithTheRule() {
    assertRejected(
        parse(null, "{\"doc_id\":\"a\\u0000b\",\"text\":\"t\"}"),
        Code.INVALID_DOC_ID,
        "invalid doc_id: doc id contains control character U+0000 at index 1");
    assertRejected(parse(null, "{\"doc_id\":\"   \",\"text\":\"t\"}"), Code.INVALID_DOC_ID, "invalid doc_id: doc id is only whitespace");
    assertRejected(parse(null, "{\"doc_id\":\"\",\"text\":\"t\"}"), Code.INVALID_DOC_ID, "invalid doc_id: doc id is empty");
    assertRejected(
        parse(null, "{\"doc_id\":\"x\\ud800\",\"text\":\"t\"}"), Code.INVALID_DOC_ID, "invalid doc_id: doc id contains an unpaired surrogate at index 1");
    assertRejected(
        parse(null, "{\"doc_id\":\"" + "x".repeat(513) + "\",\"text\":\"t\"}"),
        Code.INVALID_DOC_ID,
        "invalid doc_id: doc id is 513 bytes of UTF-8, more than the limit of 512");
  }

  @Test
  void keyDifferentFromDocIdIsRejected() {
    assertRejected(parse("doc-1", "{\"doc_id\":\"doc-2\",\"text\":\"t\"}"), Code.KEY_MISMATCH, "record key doc-1 differs from doc_id doc-2");
  }

  @Test
  void keyMismatchMessageAbbreviatesLongValues() {
    String key = "k".repeat(300);
    Rejection rejection = parse(key, "{\"doc_id\":\"doc-2\",\"text\":\"t\"}").rejection();
    assertThat(rejection.code()).isEqualTo(Code.KEY_MISMATCH);
    assertThat(rejection.message()).isEqualTo("record key " + "k".repeat(77) + "... differs from doc_id doc-2");
  }

  @Test
  void keyIsComparedExactly() {
    assertThat(parse("doc-1 ", "{\"doc_id\":\"doc-1\",\"text\":\"t\"}").rejection().code()).isEqualTo(Code.KEY_MISMATCH);
    assertThat(parse("", "{\"doc_id\":\"doc-1\",\"text\":\"t\"}").rejection().code()).isEqualTo(Code.KEY_MISMATCH);
  }

  @ParameterizedTest
  @ValueSource(strings = {"", " ", "\\n\\t  ", "\\u3000"})
  void emptyOrBlankTextIsRejected(String text) {
    assertRejected(parse("d", "{\"doc_id\":\"d\",\"text\":\"" + text + "\"}"), Code.EMPTY_TEXT, "field text is empty or only whitespace");
  }

  @Test
  void textOverTheLimitIsRejectedByItsUtf8Size() {
    String text = "é".repeat(MAX_TEXT_BYTES / 2) + "x"; // 501 chars, 1001 bytes
    assertRejected(
        parse("d", "{\"doc_id\":\"d\",\"text\":\"" + text + "\"}"), Code.TEXT_TOO_LARGE, "field text is 1001 bytes, more than the limit of 1000");
  }

  @Test
  void hugeRawValueIsRejectedBeforeParsing() {
    // not even JSON: the size check must come first, so that no huge value is decoded or parsed
    byte[] value = new byte[MAX_TEXT_BYTES + 4096 + 1];
    Arrays.fill(value, (byte) 0xFF);
    assertRejected(parser.parse("d", value, TIMESTAMP_MILLIS), Code.TEXT_TOO_LARGE, "record value is 5097 bytes, more than the limit of 5096");
  }

  @Test
  void rawValueAtTheLimitIsParsed() {
    String prefix = "{\"doc_id\":\"d\",\"text\":\"t\",\"pad\":\"";
    String value = prefix + "p".repeat(MAX_TEXT_BYTES + 4096 - prefix.length() - 2) + "\"}";
    assertThat(value.getBytes(StandardCharsets.UTF_8)).hasSize(MAX_TEXT_BYTES + 4096);
    assertThat(parse("d", value).isAccepted()).isTrue();
  }

  @Test
  void everyRejectionCodeButTheEmbeddingOneIsReachable() {
    EnumSet<Code> seen = EnumSet.noneOf(Code.class);
    seen.add(parser.parse(null, null, 0).rejection().code());
    seen.add(parser.parse("d", new byte[] {(byte) 0xC3, (byte) 0x28}, 0).rejection().code());
    seen.add(parser.parse("d", new byte[MAX_TEXT_BYTES + 5000], 0).rejection().code());
    for (String value :
        new String[] {"{", "[]", "{}", "{\"doc_id\":1}", "{\"doc_id\":\"\"}", "{\"doc_id\":\"x\"}", "{\"doc_id\":\"d\",\"text\":\"\"}"}) {
      seen.add(parse("d", value).rejection().code());
    }
    assertThat(EnumSet.complementOf(seen)).containsExactly(Code.INVALID_EMBEDDING);
  }

  private DocumentParser.Result parse(String key, String value) {
    return parse(key, value, TIMESTAMP_MILLIS);
  }

  private DocumentParser.Result parse(String key, String value, long timestampMillis) {
    return parser.parse(key, value.getBytes(StandardCharsets.UTF_8), timestampMillis);
  }

  private static void assertRejected(DocumentParser.Result result, Code code, String message) {
    assertThat(result.isAccepted()).as("accepted %s", result.document()).isFalse();
    assertThat(result.document()).isNull();
    assertThat(result.rejection()).isEqualTo(new Rejection(code, message));
  }
}
