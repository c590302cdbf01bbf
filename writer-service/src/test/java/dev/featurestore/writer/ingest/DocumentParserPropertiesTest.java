package dev.featurestore.writer.ingest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.quicktheories.QuickTheory.qt;
import static org.quicktheories.generators.SourceDSL.integers;

import dev.featurestore.api.DocIds;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.text.Normalizer;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Random;
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.quicktheories.core.Gen;
import org.quicktheories.generators.Generate;
import org.quicktheories.impl.Constraint;

/**
 * Properties of {@link DocumentParser} over random input: whatever the bytes, it never throws and
 * gives exactly one outcome; whatever the strings in a JSON document and however they are escaped,
 * it decides as the contract says, checked by an independent reading of the rules.
 *
 * <p>QuickTheories runs each property on {@value #DEFAULT_TRIES} generated inputs from a fixed seed
 * (reproducible in CI); a failure names the seed and the (shrunk, where the generator allows)
 * input. {@code -Dparser.properties.seed=S} (or {@code random}) and {@code
 * -Dparser.properties.tries=N} explore further.
 */
class DocumentParserPropertiesTest {

  private static final int DEFAULT_TRIES = 5000;
  private static final int TRIES = Integer.getInteger("parser.properties.tries", DEFAULT_TRIES);
  private static final long SEED = seed(System.getProperty("parser.properties.seed", "20261202"));

  /** Small, so that random texts fall on both sides of it. */
  private static final int LIMIT = 200;

  private static final Pattern CONTENT = Pattern.compile("[\\p{L}\\p{N}\\p{S}\\p{P}]");

  private final DocumentParser parser = new DocumentParser(LIMIT);

  /** A record: key and value bytes (either may be null). */
  private record Input(byte[] key, byte[] value) {
    @Override
    public String toString() {
      return "key=" + hex(key) + " value=" + hex(value);
    }
  }

  /** A document's parts, the key choice and how it is written. */
  private record Parts(
      String docId, String text, int keyChoice, boolean escapeAll, boolean padded, boolean decoys) {
    @Override
    public String toString() {
      return "docId="
          + escape(docId)
          + " text="
          + escape(text)
          + " keyChoice="
          + keyChoice
          + " escapeAll="
          + escapeAll
          + " padded="
          + padded
          + " decoys="
          + decoys;
    }
  }

  /** Random byte strings as key and value, generated and shrunk by QuickTheories. */
  @Test
  void anyByteStringsAsKeyAndValueGiveExactlyOneOutcome() {
    Gen<byte[]> byteStrings =
        Generate.byteArrays(
            integers().between(0, 300), Generate.bytes(Byte.MIN_VALUE, Byte.MAX_VALUE, (byte) 0));
    qt().withFixedSeed(SEED)
        .withExamples(TRIES)
        .forAll(byteStrings, byteStrings)
        .checkAssert((key, value) -> checkOutcome(key, value, parser.parse(key, value, 0)));
  }

  @Test
  void anyBytesGiveExactlyOneOutcome() {
    forAll(
        random -> new Input(key(random), value(random)),
        input ->
            checkOutcome(input.key(), input.value(), parser.parse(input.key(), input.value(), 0)));
  }

  @Test
  void mutatedDocumentsGiveExactlyOneOutcome() {
    forAll(
        random -> new Input(key(random), mutatedDocument(random)),
        input ->
            checkOutcome(input.key(), input.value(), parser.parse(input.key(), input.value(), 0)));
  }

  @Test
  void documentsAreJudgedByTheContract() {
    forAll(
        random ->
            new Parts(
                id(random),
                text(random),
                random.nextInt(7),
                random.nextBoolean(),
                random.nextBoolean(),
                random.nextBoolean()),
        parts -> {
          String docId = parts.docId();
          String text = parts.text();
          byte[] key =
              switch (parts.keyChoice()) {
                case 0 -> null;
                case 1 -> new byte[0];
                case 2 -> docId.getBytes(StandardCharsets.UTF_8);
                case 3 -> (docId + "x").getBytes(StandardCharsets.UTF_8);
                case 4 -> docId.toUpperCase(java.util.Locale.ROOT).getBytes(StandardCharsets.UTF_8);
                case 5 -> (docId + " ").getBytes(StandardCharsets.UTF_8);
                default -> new byte[] {(byte) 0xFF, 'x'};
              };
          String sep = parts.padded() ? " \n\t" : "";
          // earlier duplicates of both fields: the last one counts
          String decoys =
              parts.decoys() ? "\"text\":{\"not\":\"this\"},\"doc_id\":\"Decoy\"," + sep : "";
          String json =
              "{"
                  + sep
                  + decoys
                  + "\"meta\":{\"n\":[1,2.5e3,null]},"
                  + sep
                  + "\"doc_id\""
                  + sep
                  + ":"
                  + js(docId, parts.escapeAll())
                  + ","
                  + sep
                  + "\"text\":"
                  + js(text, parts.escapeAll())
                  + sep
                  + "}";
          DocumentParser.Result result =
              parser.parse(key, json.getBytes(StandardCharsets.UTF_8), 0);

          Rejection.Code expected = expectedCode(key, docId, text);
          if (expected == null) {
            assertThat(result.rejection()).isNull();
            assertThat(result.document().docId()).isEqualTo(docId);
            assertThat(result.document().text()).isEqualTo(text);
          } else {
            assertThat(result.isAccepted()).as("accepted %s", result.document()).isFalse();
            assertThat(result.rejection().code())
                .as(result.rejection().message())
                .isEqualTo(expected);
          }
        });
  }

  /** The rules, read independently of the parser's code. */
  private static Rejection.Code expectedCode(byte[] key, String docId, String text) {
    String keyString = null;
    if (key != null && key.length > 0) {
      try {
        keyString = StandardCharsets.UTF_8.newDecoder().decode(ByteBuffer.wrap(key)).toString();
      } catch (CharacterCodingException e) {
        return Rejection.Code.INVALID_UTF8;
      }
    }
    if (!DocIds.isValid(docId)) {
      return Rejection.Code.INVALID_DOC_ID;
    }
    if (keyString != null && !keyString.equals(docId)) {
      return Rejection.Code.KEY_MISMATCH;
    }
    if (hasUnpairedSurrogate(text)) {
      return Rejection.Code.INVALID_UTF8;
    }
    if (text.getBytes(StandardCharsets.UTF_8).length > LIMIT) {
      return Rejection.Code.TEXT_TOO_LARGE;
    }
    if (!CONTENT.matcher(Normalizer.normalize(text, Normalizer.Form.NFKC)).find()) {
      return Rejection.Code.EMPTY_TEXT;
    }
    return null;
  }

  private static void checkOutcome(byte[] key, byte[] value, DocumentParser.Result result) {
    int outcomes =
        (result.document() != null ? 1 : 0)
            + (result.tombstoneDocId() != null ? 1 : 0)
            + (result.rejection() != null ? 1 : 0);
    assertThat(outcomes).as("outcomes of %s", result).isEqualTo(1);
    if (result.rejection() != null) {
      assertThat(result.rejection().code())
          .isNotNull()
          .isNotEqualTo(Rejection.Code.INVALID_EMBEDDING);
      assertThat(result.rejection().message()).isNotBlank();
    }
    if (result.isTombstone()) {
      assertThat(value).isNull();
      assertThat(DocIds.isValid(result.tombstoneDocId())).isTrue();
      assertThat(result.tombstoneDocId().getBytes(StandardCharsets.UTF_8)).isEqualTo(key);
    }
    if (result.isAccepted()) {
      String text = result.document().text();
      assertThat(hasUnpairedSurrogate(text)).isFalse();
      assertThat(text.getBytes(StandardCharsets.UTF_8).length).isLessThanOrEqualTo(LIMIT);
      assertThat(CONTENT.matcher(Normalizer.normalize(text, Normalizer.Form.NFKC)).find())
          .as("content in %s", escape(text))
          .isTrue();
      assertThat(DocIds.isValid(result.document().docId())).isTrue();
      if (key != null && key.length > 0) {
        assertThat(result.document().docId().getBytes(StandardCharsets.UTF_8)).isEqualTo(key);
      }
    }
  }

  // ---------------------------------------------------------------------------------------------------------
  // the harness

  /**
   * Runs {@code property} on {@link #TRIES} inputs with QuickTheories (fixed seed, failures
   * reported with seed and input). The structured generators below are written against {@link
   * Random}: each example draws its seed from QuickTheories' randomness source.
   */
  private static <T> void forAll(Function<Random, T> generator, Consumer<T> property) {
    Gen<T> gen = source -> generator.apply(new Random(source.next(Constraint.none())));
    qt().withFixedSeed(SEED).withExamples(TRIES).forAll(gen).checkAssert(property);
  }

  private static long seed(String value) {
    return "random".equals(value) ? System.nanoTime() : Long.parseLong(value);
  }

  // ---------------------------------------------------------------------------------------------------------
  // generators

  private static byte[] key(Random random) {
    return switch (random.nextInt(4)) {
      case 0 -> null;
      case 1 -> new byte[0];
      case 2 -> bytes(random, random.nextInt(17));
      default -> pick(random, "d", "doc-1", "é", "bad\nkey").getBytes(StandardCharsets.UTF_8);
    };
  }

  private static byte[] value(Random random) {
    return switch (random.nextInt(3)) {
      case 0 -> null;
      case 1 -> bytes(random, random.nextInt(301));
      default ->
          chars(random, "{}[]:,\"\\ 0123456789.eE-+tfnulrsadoc_ix\u00e9\u0001", random.nextInt(81))
              .getBytes(StandardCharsets.UTF_8);
    };
  }

  private static byte[] mutatedDocument(Random random) {
    boolean all = random.nextBoolean();
    byte[] document =
        ("{\"doc_id\":"
                + js(pick(random, "d", "doc-1", "é"), all)
                + ",\"text\":"
                + js(text(random), all)
                + "}")
            .getBytes(StandardCharsets.UTF_8);
    List<Byte> bytes = new ArrayList<>();
    for (byte b : document) {
      bytes.add(b);
    }
    for (int edits = random.nextInt(5); edits > 0 && !bytes.isEmpty(); edits--) {
      int at = random.nextInt(bytes.size());
      byte b = (byte) random.nextInt(256);
      switch (random.nextInt(3)) {
        case 0 -> bytes.set(at, b);
        case 1 -> bytes.remove(at);
        default -> bytes.add(at, b);
      }
    }
    byte[] out = new byte[bytes.size()];
    for (int i = 0; i < out.length; i++) {
      out[i] = bytes.get(i);
    }
    return out;
  }

  private static String id(Random random) {
    return switch (random.nextInt(3)) {
      case 0 -> anyChars(random, random.nextInt(13));
      case 1 -> chars(random, "abcXYZ0189-_/. é文", 1 + random.nextInt(20));
      default -> "x".repeat(500 + random.nextInt(21));
    };
  }

  private static String text(Random random) {
    switch (random.nextInt(4)) {
      case 0 -> {
        String invisible =
            " \t\n\u00a0\u200b\u200c\u200d\u2060\ufeff\u3000\u0000\u0001\u007f\u0085\u00ad\u0301\u2028";
        String middle =
            switch (random.nextInt(3)) {
              case 0 -> chars(random, "a!é日本42€\u00a8\u2460\u2122", random.nextInt(4));
              case 1 -> Character.toString(0x1F600 + random.nextInt(0x50));
              default -> "";
            };
        return chars(random, invisible, random.nextInt(9))
            + middle
            + chars(random, invisible, random.nextInt(9));
      }
      case 1 -> {
        return anyChars(random, random.nextInt(61));
      }
      case 2 -> {
        int n = LIMIT - 3 + random.nextInt(7);
        return "é".repeat(n / 2) + "x".repeat(n % 2);
      }
      default -> {
        StringBuilder s = new StringBuilder();
        for (int i = random.nextInt(251); i > 0; i--) {
          s.append((char) random.nextInt(128));
        }
        return s.toString();
      }
    }
  }

  /** Any UTF-16 units, lone surrogates included, biased towards the interesting corners. */
  private static String anyChars(Random random, int length) {
    StringBuilder s = new StringBuilder(length);
    for (int i = 0; i < length; i++) {
      s.append(
          switch (random.nextInt(4)) {
            case 0 -> (char) random.nextInt(0x80);
            case 1 -> (char) (0xD800 + random.nextInt(0x800));
            case 2 -> (char) random.nextInt(0x3000);
            default -> (char) random.nextInt(0x10000);
          });
    }
    return s.toString();
  }

  private static String chars(Random random, String alphabet, int length) {
    int[] codePoints = alphabet.codePoints().toArray();
    StringBuilder s = new StringBuilder();
    for (int i = 0; i < length; i++) {
      s.appendCodePoint(codePoints[random.nextInt(codePoints.length)]);
    }
    return s.toString();
  }

  private static byte[] bytes(Random random, int length) {
    byte[] bytes = new byte[length];
    random.nextBytes(bytes);
    return bytes;
  }

  @SafeVarargs
  private static <T> T pick(Random random, T... choices) {
    return choices[random.nextInt(choices.length)];
  }

  // ---------------------------------------------------------------------------------------------------------
  // helpers

  /**
   * A JSON string literal; every UTF-16 unit escaped with {@code all}, else only what JSON requires
   * and lone surrogates.
   */
  static String js(String s, boolean all) {
    StringBuilder out = new StringBuilder(s.length() + 2).append('"');
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      boolean highOfPair =
          Character.isHighSurrogate(c)
              && i + 1 < s.length()
              && Character.isLowSurrogate(s.charAt(i + 1));
      if (highOfPair && !all) {
        out.append(c).append(s.charAt(++i));
      } else if (all || c < 0x20 || c == '"' || c == '\\' || Character.isSurrogate(c)) {
        out.append(String.format("\\u%04x", (int) c));
      } else {
        out.append(c);
      }
    }
    return out.append('"').toString();
  }

  private static boolean hasUnpairedSurrogate(String s) {
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (Character.isHighSurrogate(c)
          && i + 1 < s.length()
          && Character.isLowSurrogate(s.charAt(i + 1))) {
        i++;
      } else if (Character.isSurrogate(c)) {
        return true;
      }
    }
    return false;
  }

  /** Printable ASCII as is, everything else as {@code \\uXXXX}. */
  private static String escape(String s) {
    if (s == null) {
      return "null";
    }
    StringBuilder out = new StringBuilder();
    s.chars()
        .forEach(
            c ->
                out.append(
                    c >= 0x20 && c < 0x7F
                        ? String.valueOf((char) c)
                        : String.format("\\u%04x", c)));
    return out.toString();
  }

  private static String hex(byte[] bytes) {
    return bytes == null ? "null" : bytes.length + ":" + HexFormat.of().formatHex(bytes);
  }
}
