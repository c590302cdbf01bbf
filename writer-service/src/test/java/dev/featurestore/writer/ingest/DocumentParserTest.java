package dev.featurestore.writer.ingest;

import static org.assertj.core.api.Assertions.assertThat;

import dev.featurestore.writer.ingest.Rejection.Code;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class DocumentParserTest {

  private static final int MAX_TEXT_BYTES = 1000;
  private static final long TIMESTAMP_MILLIS = 1_795_601_730_123L; // 2026-11-25T10:15:30.123Z

  private final DocumentParser parser = new DocumentParser(MAX_TEXT_BYTES);

  @Test
  void acceptsAWellFormedDocument() {
    DocumentParser.Result result =
        parse("doc-1", "{\"doc_id\":\"doc-1\",\"text\":\"A man is eating food.\"}");

    assertThat(result.isAccepted()).isTrue();
    assertThat(result.rejection()).isNull();
    assertThat(result.document())
        .isEqualTo(
            new Document(
                "doc-1", "A man is eating food.", Instant.parse("2026-11-25T10:15:30.123Z")));
  }

  @Test
  void eventTimeIsTheRecordTimestampInMillis() {
    Document document = parse(null, "{\"doc_id\":\"d\",\"text\":\"t\"}", 1L).document();
    assertThat(document.eventTime())
        .isEqualTo(Instant.ofEpochMilli(1L))
        .isEqualTo(Instant.parse("1970-01-01T00:00:00.001Z"));
    assertThat(
            parse(null, "{\"doc_id\":\"d\",\"text\":\"t\"}", TIMESTAMP_MILLIS)
                .document()
                .eventTime()
                .toEpochMilli())
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
        parse(
            "doc-1",
            "{\"source\":\"crawler\",\"doc_id\":\"doc-1\",\"meta\":{\"lang\":\"en\",\"tags\":[1,2]},\"text\":\"hello\",\"score\":0.5}");
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
    DocumentParser.Result result =
        parse("é", "{\"doc_id\":\"\\u00e9\",\"text\":\"tab\\there \\\"quoted\\\"\"}");
    assertThat(result.document().docId()).isEqualTo("é");
    assertThat(result.document().text()).isEqualTo("tab\there \"quoted\"");
  }

  @Test
  void textOfExactlyTheLimitIsAccepted() {
    String text = "é".repeat(MAX_TEXT_BYTES / 2);
    assertThat(parse("d", "{\"doc_id\":\"d\",\"text\":\"" + text + "\"}").document().text())
        .isEqualTo(text);
  }

  @Test
  void nullValueIsATombstoneForTheKey() {
    DocumentParser.Result result = parser.parse(utf8("doc-1"), null, TIMESTAMP_MILLIS);
    assertThat(result.isTombstone()).isTrue();
    assertThat(result.tombstoneDocId()).isEqualTo("doc-1");
    assertThat(result.isAccepted()).isFalse();
    assertThat(result.rejection()).isNull();
  }

  @Test
  void tombstoneWithoutAValidKeyIsRejected() {
    assertRejected(
        parser.parse(null, null, TIMESTAMP_MILLIS),
        Code.MISSING_FIELD,
        "tombstone (null value) without a record key");
    assertThat(parser.parse(utf8("bad\nkey"), null, TIMESTAMP_MILLIS).rejection().code())
        .isEqualTo(Code.INVALID_DOC_ID);
  }

  @Test
  void invalidUtf8IsRejected() {
    byte[] value = {'{', '"', 'a', '"', ':', '"', (byte) 0xC3, (byte) 0x28, '"', '}'};
    assertRejected(
        parser.parse(null, value, TIMESTAMP_MILLIS),
        Code.INVALID_UTF8,
        "record value is not valid UTF-8");
  }

  @Test
  void overlongAndSurrogateUtf8EncodingsAreRejected() {
    byte[] overlongSlash = {'"', (byte) 0xC0, (byte) 0xAF, '"'};
    byte[] encodedSurrogate = {'"', (byte) 0xED, (byte) 0xA0, (byte) 0x80, '"'};
    byte[] truncatedSequence = {'"', 'a', (byte) 0xE2, (byte) 0x82};
    assertThat(parser.parse(null, overlongSlash, 0).rejection().code())
        .isEqualTo(Code.INVALID_UTF8);
    assertThat(parser.parse(null, encodedSurrogate, 0).rejection().code())
        .isEqualTo(Code.INVALID_UTF8);
    assertThat(parser.parse(null, truncatedSequence, 0).rejection().code())
        .isEqualTo(Code.INVALID_UTF8);
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "{not json",
        "{\"doc_id\":\"d\",\"text\":\"t\",}",
        "{'doc_id':'d','text':'t'}",
        "{\"doc_id\":\"d\",\"text\":\"t\"} trailing"
      })
  void malformedJsonIsRejectedWithTheParserMessage(String value) {
    DocumentParser.Result result = parse(null, value);
    assertThat(result.isAccepted()).isFalse();
    assertThat(result.rejection().code()).isEqualTo(Code.NOT_JSON);
    assertThat(result.rejection().message())
        .startsWith("record value is not JSON: ")
        .hasSizeGreaterThan("record value is not JSON: ".length());
  }

  @Test
  void secondJsonValueAfterTheObjectIsRejected() {
    assertThat(parse(null, "{\"doc_id\":\"d\",\"text\":\"t\"} {}").rejection().code())
        .isEqualTo(Code.NOT_JSON);
  }

  @Test
  void arrayIsNotAnObject() {
    assertRejected(
        parse(null, "[1]"), Code.NOT_AN_OBJECT, "record value is JSON but not an object: ARRAY");
  }

  @Test
  void stringIsNotAnObject() {
    assertRejected(
        parse(null, "\"x\""), Code.NOT_AN_OBJECT, "record value is JSON but not an object: STRING");
  }

  @Test
  void numberIsNotAnObject() {
    assertRejected(
        parse(null, "42"), Code.NOT_AN_OBJECT, "record value is JSON but not an object: NUMBER");
  }

  @Test
  void jsonNullAndEmptyValuesAreNotObjects() {
    assertThat(parse(null, "null").rejection().code()).isEqualTo(Code.NOT_AN_OBJECT);
    assertThat(parse(null, "").rejection().code()).isEqualTo(Code.NOT_AN_OBJECT);
    assertThat(parse(null, "  \n").rejection().code()).isEqualTo(Code.NOT_AN_OBJECT);
  }

  @Test
  void missingDocIdIsRejected() {
    assertRejected(
        parse(null, "{\"text\":\"hello\"}"), Code.MISSING_FIELD, "field doc_id is missing");
    assertRejected(
        parse(null, "{\"doc_id\":null,\"text\":\"hello\"}"),
        Code.MISSING_FIELD,
        "field doc_id is missing");
  }

  @Test
  void missingTextIsRejected() {
    assertRejected(parse("d", "{\"doc_id\":\"d\"}"), Code.MISSING_FIELD, "field text is missing");
    assertRejected(
        parse("d", "{\"doc_id\":\"d\",\"text\":null}"),
        Code.MISSING_FIELD,
        "field text is missing");
  }

  @Test
  void numericDocIdIsTheWrongType() {
    assertRejected(
        parse(null, "{\"doc_id\":42,\"text\":\"hello\"}"),
        Code.WRONG_TYPE,
        "field doc_id must be a string, not NUMBER");
  }

  @Test
  void objectTextIsTheWrongType() {
    assertRejected(
        parse("d", "{\"doc_id\":\"d\",\"text\":{\"body\":\"hello\"}}"),
        Code.WRONG_TYPE,
        "field text must be a string, not OBJECT");
  }

  @Test
  void arrayOrBooleanFieldsAreTheWrongType() {
    assertThat(parse(null, "{\"doc_id\":[\"d\"],\"text\":\"t\"}").rejection().message())
        .isEqualTo("field doc_id must be a string, not ARRAY");
    assertThat(parse("d", "{\"doc_id\":\"d\",\"text\":true}").rejection().message())
        .isEqualTo("field text must be a string, not BOOLEAN");
  }

  @Test
  void docIdBreakingTheIdRulesIsRejectedWithTheRule() {
    assertRejected(
        parse(null, "{\"doc_id\":\"a\\u0000b\",\"text\":\"t\"}"),
        Code.INVALID_DOC_ID,
        "invalid doc_id: doc id contains control character U+0000 at index 1");
    assertRejected(
        parse(null, "{\"doc_id\":\"   \",\"text\":\"t\"}"),
        Code.INVALID_DOC_ID,
        "invalid doc_id: doc id is only whitespace");
    assertRejected(
        parse(null, "{\"doc_id\":\"\",\"text\":\"t\"}"),
        Code.INVALID_DOC_ID,
        "invalid doc_id: doc id is empty");
    assertRejected(
        parse(null, "{\"doc_id\":\"x\\ud800\",\"text\":\"t\"}"),
        Code.INVALID_DOC_ID,
        "invalid doc_id: doc id contains an unpaired surrogate at index 1");
    assertRejected(
        parse(null, "{\"doc_id\":\"" + "x".repeat(513) + "\",\"text\":\"t\"}"),
        Code.INVALID_DOC_ID,
        "invalid doc_id: doc id is 513 bytes of UTF-8, more than the limit of 512");
  }

  @Test
  void keyDifferentFromDocIdIsRejected() {
    assertRejected(
        parse("doc-1", "{\"doc_id\":\"doc-2\",\"text\":\"t\"}"),
        Code.KEY_MISMATCH,
        "record key doc-1 differs from doc_id doc-2");
  }

  @Test
  void keyMismatchMessageAbbreviatesLongValues() {
    String key = "k".repeat(300);
    Rejection rejection = parse(key, "{\"doc_id\":\"doc-2\",\"text\":\"t\"}").rejection();
    assertThat(rejection.code()).isEqualTo(Code.KEY_MISMATCH);
    assertThat(rejection.message())
        .isEqualTo("record key " + "k".repeat(77) + "... differs from doc_id doc-2");
  }

  @Test
  void keyIsComparedExactly() {
    assertThat(parse("doc-1 ", "{\"doc_id\":\"doc-1\",\"text\":\"t\"}").rejection().code())
        .isEqualTo(Code.KEY_MISMATCH);
  }

  @Test
  void emptyTextIsRejected() {
    assertRejected(
        parse("d", "{\"doc_id\":\"d\",\"text\":\"\"}"), Code.EMPTY_TEXT, "field text is empty");
  }

  @ParameterizedTest
  @ValueSource(strings = {" ", "\\n\\t  ", "\\u3000"})
  void blankTextIsRejected(String text) {
    assertRejected(
        parse("d", "{\"doc_id\":\"d\",\"text\":\"" + text + "\"}"),
        Code.EMPTY_TEXT,
        "field text has no content: no letter, number, symbol or punctuation after NFKC normalisation");
  }

  @Test
  void textOverTheLimitIsRejectedByItsUtf8Size() {
    String text = "é".repeat(MAX_TEXT_BYTES / 2) + "x"; // 501 chars, 1001 bytes
    assertRejected(
        parse("d", "{\"doc_id\":\"d\",\"text\":\"" + text + "\"}"),
        Code.TEXT_TOO_LARGE,
        "field text is 1001 bytes of UTF-8, more than the limit of 1000");
  }

  @Test
  void theRawGuardIsSixTimesTheTextAndIdLimitsPlus64KiB() {
    assertThat(DocumentParser.maxValueBytes(MAX_TEXT_BYTES)).isEqualTo(6 * (1000 + 512) + 65536);
    assertThat(DocumentParser.maxValueBytes(65536)).isEqualTo(461_824);
    assertThat(DocumentParser.maxValueBytes(Integer.MAX_VALUE)).isPositive();
  }

  @Test
  void hugeRawValueIsRejectedBeforeParsing() {
    // not even JSON: the size check must come first, so that no huge value is decoded or parsed
    int guard = DocumentParser.maxValueBytes(MAX_TEXT_BYTES);
    byte[] value = new byte[guard + 1];
    Arrays.fill(value, (byte) 0xFF);
    assertRejected(
        parser.parse(utf8("d"), value, TIMESTAMP_MILLIS),
        Code.TEXT_TOO_LARGE,
        "record value is "
            + (guard + 1)
            + " bytes, more than the limit of "
            + guard
            + " (6 x (max-text-bytes + 512) + 64 KiB)");
  }

  @Test
  void rawValueAtTheLimitIsParsed() {
    int guard = DocumentParser.maxValueBytes(MAX_TEXT_BYTES);
    String prefix = "{\"doc_id\":\"d\",\"text\":\"t\",\"pad\":\"";
    String value = prefix + "p".repeat(guard - prefix.length() - 2) + "\"}";
    assertThat(value.getBytes(StandardCharsets.UTF_8)).hasSize(guard);
    assertThat(parse("d", value).isAccepted()).isTrue();
  }

  @Test
  void everyRejectionCodeButTheEmbeddingOneIsReachable() {
    EnumSet<Code> seen = EnumSet.noneOf(Code.class);
    seen.add(parser.parse(null, null, 0).rejection().code());
    seen.add(parser.parse(utf8("d"), new byte[] {(byte) 0xC3, (byte) 0x28}, 0).rejection().code());
    seen.add(
        parser
            .parse(utf8("d"), new byte[DocumentParser.maxValueBytes(MAX_TEXT_BYTES) + 1], 0)
            .rejection()
            .code());
    for (String value :
        new String[] {
          "{",
          "[]",
          "{}",
          "{\"doc_id\":1}",
          "{\"doc_id\":\"\"}",
          "{\"doc_id\":\"x\"}",
          "{\"doc_id\":\"d\",\"text\":\"\"}"
        }) {
      seen.add(parse("d", value).rejection().code());
    }
    assertThat(EnumSet.complementOf(seen)).containsExactly(Code.INVALID_EMBEDDING);
  }

  // ---- issue 14: the limit applies to the decoded text, empty key = no key, texts without content
  // ----

  private static final int PRODUCTION_LIMIT = 65536;
  private final DocumentParser production = new DocumentParser(PRODUCTION_LIMIT);

  @Test
  void textLimitAppliesToTheDecodedTextNotToItsJsonEscapes() {
    // 60,000 bytes of text written as \u00e9 escapes: 180,000 bytes of record value
    String escaped = "\\u00e9".repeat(30_000);
    DocumentParser.Result result =
        parse(production, "d", "{\"doc_id\":\"d\",\"text\":\"" + escaped + "\"}");
    assertThat(result.isAccepted()).as("rejection %s", result.rejection()).isTrue();
    assertThat(result.document().text()).isEqualTo("é".repeat(30_000));
  }

  @Test
  void textOfExactlyTheLimitWithManyNewlinesIsAccepted() {
    String text = "line\n".repeat(PRODUCTION_LIMIT / 5) + "x".repeat(PRODUCTION_LIMIT % 5);
    assertThat(text.getBytes(StandardCharsets.UTF_8)).hasSize(PRODUCTION_LIMIT);
    String json = "{\"doc_id\":\"d\",\"text\":\"" + text.replace("\n", "\\n") + "\"}";
    DocumentParser.Result result = parse(production, "d", json);
    assertThat(result.isAccepted()).as("rejection %s", result.rejection()).isTrue();
    assertThat(result.document().text()).isEqualTo(text);
  }

  @Test
  void worstCaseEscapingOfATextAndIdWithinTheirLimitsPassesTheRawGuard() {
    // every text byte a control character (\\uXXXX, 6 bytes each), the longest id fully escaped
    // too, every name too
    String text = "x" + "\u0001".repeat(PRODUCTION_LIMIT - 1);
    String docId = "y".repeat(512);
    String json =
        "{ \"\\u0064\\u006f\\u0063\\u005f\\u0069\\u0064\" : \""
            + escapeAll(docId)
            + "\" , \"\\u0074\\u0065\\u0078\\u0074\" : \""
            + escapeAll(text)
            + "\" }";
    assertThat(json.length()).isGreaterThan(6 * (PRODUCTION_LIMIT + 512));
    DocumentParser.Result result = parse(production, docId, json);
    assertThat(result.isAccepted()).as("rejection %s", result.rejection()).isTrue();
    assertThat(result.document().text()).isEqualTo(text);
    assertThat(result.document().docId()).isEqualTo(docId);
  }

  @Test
  void oneByteOverTheLimitIsTooLargeHoweverItIsWritten() {
    String text = "line\n".repeat(PRODUCTION_LIMIT / 5) + "x".repeat(PRODUCTION_LIMIT % 5 + 1);
    String plain = "{\"doc_id\":\"d\",\"text\":\"" + text.replace("\n", "\\n") + "\"}";
    String escaped = "{\"doc_id\":\"d\",\"text\":\"" + escapeAll(text) + "\"}";
    for (String json : List.of(plain, escaped)) {
      assertRejected(
          parse(production, "d", json),
          Code.TEXT_TOO_LARGE,
          "field text is 65537 bytes of UTF-8, more than the limit of 65536");
    }
  }

  @Test
  void emptyKeyCountsAsNoKey() {
    DocumentParser.Result result = parse("", "{\"doc_id\":\"doc-1\",\"text\":\"hello\"}");
    assertThat(result.isAccepted()).as("rejection %s", result.rejection()).isTrue();
    assertThat(result.document().docId()).isEqualTo("doc-1");
    assertRejected(
        tombstone(""), Code.MISSING_FIELD, "tombstone (null value) without a record key");
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "\u200b",
        "\u00a0\u00a0",
        "\u0000\u0001",
        "\ufeff",
        "\u3000",
        "\u200b\u200c\u200d\u2060",
        "\u00ad",
        "\u0301",
        " \u00a8 "
      })
  void textWithoutContentIsEmpty(String text) {
    DocumentParser.Result result =
        parse("d", "{\"doc_id\":\"d\",\"text\":\"" + escapeAll(text) + "\"}");
    assertRejected(
        result,
        Code.EMPTY_TEXT,
        "field text has no content: no letter, number, symbol or punctuation after NFKC normalisation");
  }

  @ParameterizedTest
  @ValueSource(strings = {"!", "é", "日本", "42", "€", "\u00a0x\u00a0", "\uD83D\uDE00", "\u2460"})
  void textWithContentIsAccepted(String text) {
    DocumentParser.Result result =
        parse("d", "{\"doc_id\":\"d\",\"text\":\"" + escapeAll(text) + "\"}");
    assertThat(result.isAccepted()).as("rejection %s", result.rejection()).isTrue();
    assertThat(result.document().text()).isEqualTo(text);
  }

  @Test
  void keyThatIsNotUtf8IsRejectedEvenIfItsReplacementMatches() {
    // decoded leniently, d\xff would be "d\ufffd" and match this doc_id
    byte[] key = {'d', (byte) 0xFF};
    assertRejected(
        parser.parse(key, utf8("{\"doc_id\":\"d\ufffd\",\"text\":\"t\"}"), 0),
        Code.INVALID_UTF8,
        "record key is not valid UTF-8 (2 bytes)");
    assertRejected(
        parser.parse(new byte[] {(byte) 0xFF, (byte) 0xFE}, null, 0),
        Code.INVALID_UTF8,
        "record key is not valid UTF-8 (2 bytes)");
    assertThat(
            parser
                .parse(new byte[] {(byte) 0xC0, (byte) 0xAF}, utf8("{oops"), 0)
                .rejection()
                .code())
        .isEqualTo(Code.INVALID_UTF8);
  }

  @Test
  void keyIsComparedAsUtf8() {
    assertThat(
            parser
                .parse(
                    utf8("dokument/ü \uD83D\uDCC4"),
                    utf8("{\"doc_id\":\"dokument/\\u00fc \\ud83d\\udcc4\",\"text\":\"t\"}"),
                    0)
                .isAccepted())
        .isTrue();
  }

  @Test
  void unpairedSurrogateInTheTextIsRejected() {
    assertRejected(
        parse("d", "{\"doc_id\":\"d\",\"text\":\"ab\\ud800c\"}"),
        Code.INVALID_UTF8,
        "field text contains an unpaired surrogate (a \\uD800 escape) at index 2, which UTF-8 cannot encode");
    assertThat(parse("d", "{\"doc_id\":\"d\",\"text\":\"x\\udc00\"}").rejection().code())
        .isEqualTo(Code.INVALID_UTF8);
    assertThat(parse("d", "{\"doc_id\":\"d\",\"text\":\"x\\ud83d\\ude00\"}").document().text())
        .isEqualTo("x\uD83D\uDE00");
  }

  @Test
  void duplicateFieldsKeepTheLastValue() {
    assertThat(
            parse("d", "{\"doc_id\":\"d\",\"text\":\"first\",\"text\":\"second\"}")
                .document()
                .text())
        .isEqualTo("second");
    assertThat(parse(null, "{\"doc_id\":\"a\",\"text\":\"t\",\"doc_id\":\"b\"}").document().docId())
        .isEqualTo("b");
    assertThat(parse("d", "{\"doc_id\":\"d\",\"text\":\"t\",\"text\":null}").rejection().code())
        .isEqualTo(Code.MISSING_FIELD);
    assertThat(parse("d", "{\"doc_id\":\"d\",\"text\":7,\"text\":\"t\"}").isAccepted()).isTrue();
  }

  @Test
  void utf8ByteOrderMarkIsNotJson() {
    byte[] value = utf8("\ufeff{\"doc_id\":\"d\",\"text\":\"t\"}");
    assertThat(value[0]).isEqualTo((byte) 0xEF);
    assertThat(parser.parse(null, value, 0).rejection().code()).isEqualTo(Code.NOT_JSON);
  }

  @Test
  void hugeNumbersAndNamesInIgnoredFieldsAreSkipped() {
    String json =
        "{\"doc_id\":\"d\",\"n\":1"
            + "7".repeat(20_000)
            + ",\"f\":-0."
            + "3".repeat(1_000)
            + "e-99999,\""
            + "k".repeat(60_000)
            + "\":["
            + "9".repeat(5_000)
            + "],\"text\":\"t\"}";
    DocumentParser.Result result = parse(production, "d", json);
    assertThat(result.isAccepted()).as("rejection %s", result.rejection()).isTrue();
    assertRejected(
        parse(production, "d", "{\"doc_id\":\"d\",\"text\":1" + "0".repeat(20_000) + "}"),
        Code.WRONG_TYPE,
        "field text must be a string, not NUMBER");
  }

  @Test
  void nestingIsLimitedTo500Levels() {
    String nested =
        "{\"doc_id\":\"d\",\"text\":\"t\",\"meta\":" + "[".repeat(499) + "]".repeat(499) + "}";
    assertThat(parse("d", nested).isAccepted()).isTrue();
    String deep =
        "{\"doc_id\":\"d\",\"text\":\"t\",\"meta\":" + "[".repeat(500) + "]".repeat(500) + "}";
    Rejection rejection = parse("d", deep).rejection();
    assertThat(rejection.code()).isEqualTo(Code.NOT_JSON);
    assertThat(rejection.message()).contains("500");
    String veryDeep = "{\"meta\":" + "{\"a\":".repeat(60_000) + "1" + "}".repeat(60_000) + "}";
    assertThat(parse(production, "d", veryDeep).rejection().code()).isEqualTo(Code.NOT_JSON);
  }

  @Test
  void aSecondValueIsNamedInTheMessage() {
    assertRejected(
        parse(null, "{\"doc_id\":\"d\",\"text\":\"t\"} {}"),
        Code.NOT_JSON,
        "record value is not JSON: a second value starts at index 26");
  }

  /** Every UTF-16 unit as a JSON {@code \\uXXXX} escape. */
  static String escapeAll(String s) {
    StringBuilder out = new StringBuilder(s.length() * 6);
    for (int i = 0; i < s.length(); i++) {
      out.append(String.format("\\u%04x", (int) s.charAt(i)));
    }
    return out.toString();
  }

  private DocumentParser.Result tombstone(String key) {
    return parser.parse(key == null ? null : utf8(key), null, TIMESTAMP_MILLIS);
  }

  private static DocumentParser.Result parse(DocumentParser p, String key, String json) {
    return p.parse(key == null ? null : utf8(key), utf8(json), TIMESTAMP_MILLIS);
  }

  private static byte[] utf8(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  private DocumentParser.Result parse(String key, String value) {
    return parse(key, value, TIMESTAMP_MILLIS);
  }

  private DocumentParser.Result parse(String key, String value, long timestampMillis) {
    return parser.parse(key == null ? null : utf8(key), utf8(value), timestampMillis);
  }

  private static void assertRejected(DocumentParser.Result result, Code code, String message) {
    assertThat(result.isAccepted()).as("accepted %s", result.document()).isFalse();
    assertThat(result.document()).isNull();
    assertThat(result.rejection()).isEqualTo(new Rejection(code, message));
  }
}
