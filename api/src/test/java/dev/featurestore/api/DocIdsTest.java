package dev.featurestore.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.featurestore.api.DocIds.InvalidDocIdException;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class DocIdsTest {

  @ParameterizedTest
  @ValueSource(
      strings = {
        "a",
        "doc-42",
        "tenant/doc:7?x=1&y=#frag",
        "with spaces inside",
        " leading and trailing ",
        "Grüße aus Köln",
        "文档-一",
        "emoji \uD83D\uDE00 pair",
        "\uD83D\uDE80",
        "no-break\u00A0space"
      })
  void acceptsPrintableIdsOfAnyScript(String docId) {
    assertThat(DocIds.violation(docId)).isNull();
    assertThat(DocIds.isValid(docId)).isTrue();
    assertThat(DocIds.checkValid(docId)).isSameAs(docId);
  }

  @Test
  void acceptsExactly512BytesOfAscii() {
    String docId = "x".repeat(DocIds.MAX_UTF8_BYTES);
    assertThat(DocIds.isValid(docId)).isTrue();
  }

  @Test
  void acceptsExactly512BytesMadeOfMultiByteCharacters() {
    // 4-byte emoji x 127 = 508 bytes, + a 2-byte 'é' + 2 ASCII = 512
    String docId = "\uD83D\uDE00".repeat(127) + "é" + "ab";
    assertThat(docId.getBytes(StandardCharsets.UTF_8)).hasSize(DocIds.MAX_UTF8_BYTES);
    assertThat(docId.length()).isLessThan(DocIds.MAX_UTF8_BYTES);
    assertThat(DocIds.violation(docId)).isNull();
  }

  @Test
  void rejects513BytesEvenWhenFewerThan512Chars() {
    String docId = "é".repeat(256) + "a"; // 257 chars, 513 bytes
    assertThat(DocIds.violation(docId))
        .isEqualTo("doc id is 513 bytes of UTF-8, more than the limit of 512");
    assertThat(DocIds.violation("a".repeat(513))).contains("513 bytes");
  }

  @Test
  void rejectsMissingEmptyAndBlankIds() {
    assertThat(DocIds.violation(null)).isEqualTo("doc id is missing");
    assertThat(DocIds.violation("")).isEqualTo("doc id is empty");
    assertThat(DocIds.violation(" ")).isEqualTo("doc id is only whitespace");
    assertThat(DocIds.violation("   ")).isEqualTo("doc id is only whitespace");
    assertThat(DocIds.violation("\u2003\u3000")).isEqualTo("doc id is only whitespace");
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "\u0000", "\u0001", "\t", "\n", "\r", "\u001b", "\u007f", "\u0080", "\u0085", "\u009f",
        "\u2028", "\u2029"
      })
  void rejectsEveryControlCharacterClassNamingItsCodePointAndIndex(String control) {
    String docId = "ab" + control + "cd";
    assertThat(DocIds.violation(docId))
        .isEqualTo(
            String.format(
                "doc id contains control character U+%04X at index 2", (int) control.charAt(0)));
    assertThat(DocIds.isValid(docId)).isFalse();
  }

  @Test
  void rejectsAnIdThatIsOnlyAControlCharacter() {
    assertThat(DocIds.violation("\n")).isNotNull();
    assertThat(DocIds.violation("\u0000")).isNotNull();
  }

  @Test
  void rejectsLoneHighSurrogateInTheMiddleAndAtTheEnd() {
    assertThat(DocIds.violation("a\uD83Db"))
        .isEqualTo("doc id contains an unpaired surrogate at index 1");
    assertThat(DocIds.violation("ab\uD83D"))
        .isEqualTo("doc id contains an unpaired surrogate at index 2");
  }

  @Test
  void rejectsLoneLowSurrogateAndReversedPair() {
    assertThat(DocIds.violation("a\uDE00"))
        .isEqualTo("doc id contains an unpaired surrogate at index 1");
    assertThat(DocIds.violation("\uDE00\uD83D"))
        .isEqualTo("doc id contains an unpaired surrogate at index 0");
  }

  @Test
  void rejectsLoneSurrogateAfterAValidPair() {
    assertThat(DocIds.violation("\uD83D\uDE00\uDE00"))
        .isEqualTo("doc id contains an unpaired surrogate at index 2");
  }

  @Test
  void checkValidThrowsExceptionCarryingReasonAndId() {
    String docId = "bad\nid";
    assertThatThrownBy(() -> DocIds.checkValid(docId))
        .isInstanceOfSatisfying(
            InvalidDocIdException.class,
            e -> {
              assertThat(e.reason())
                  .isEqualTo("doc id contains control character U+000A at index 3");
              assertThat(e.docId()).isEqualTo(docId);
              assertThat(e)
                  .hasMessage(
                      "Invalid doc id: doc id contains control character U+000A at index 3");
            })
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void checkValidOnNullAndTooLongNamesTheProblem() {
    assertThatThrownBy(() -> DocIds.checkValid(null))
        .isInstanceOfSatisfying(
            InvalidDocIdException.class, e -> assertThat(e.reason()).isEqualTo("doc id is missing"))
        .hasMessage("Invalid doc id: doc id is missing");
    assertThatThrownBy(() -> DocIds.checkValid("z".repeat(600)))
        .isInstanceOfSatisfying(
            InvalidDocIdException.class, e -> assertThat(e.reason()).contains("600 bytes"))
        .hasMessageContaining("more than the limit of 512");
  }
}
