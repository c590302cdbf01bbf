package dev.featurestore.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.featurestore.api.DocIds.InvalidDocIdException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class MemcachedKeySchemeTest {

  private static final String HASHED_KEY = "fs1#0:[A-Za-z0-9_-]{43}";

  private final MemcachedKeyScheme scheme = MemcachedKeyScheme.defaultScheme();

  @Test
  void defaultNamespaceIsFs1() {
    assertThat(scheme.namespace()).isEqualTo("fs1");
    assertThat(scheme).hasToString("MemcachedKeyScheme(fs1, generation 0)");
    assertThat(scheme.generation()).isZero();
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "doc-42",
        "a",
        "tenant/doc:7",
        "#not-a-hash",
        "fs1#lookalike",
        "~!@$%^&*()_+{}|\"<>?"
      })
  void printableAsciiIdsAreUsedAsTheyAre(String docId) {
    assertThat(scheme.keyFor(docId)).isEqualTo("fs1:0:" + docId);
  }

  @Test
  void rawKeyKeepsTheIdVerbatim() {
    assertThat(scheme.keyFor("doc-42")).isEqualTo("fs1:0:doc-42");
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "doc 42",
        " doc",
        "Grüße",
        "文档",
        "\uD83D\uDE00",
        "no-break\u00A0space",
        "tab-less\u3000ideographic"
      })
  void idsWithSpacesOrNonAsciiAreHashed(String docId) {
    String key = scheme.keyFor(docId);
    assertThat(key).matches(HASHED_KEY).isEqualTo("fs1#0:" + sha256Base64Url(docId));
  }

  @Test
  void longestRawIdFillsExactly250BytesAndOneMoreCharIsHashed() {
    String longestRaw = "r".repeat(MemcachedKeyScheme.MAX_KEY_BYTES - "fs1:0:".length());
    assertThat(scheme.keyFor(longestRaw))
        .isEqualTo("fs1:0:" + longestRaw)
        .hasSize(MemcachedKeyScheme.MAX_KEY_BYTES);

    String tooLong = longestRaw + "r";
    assertThat(scheme.keyFor(tooLong))
        .matches(HASHED_KEY)
        .isEqualTo("fs1#0:" + sha256Base64Url(tooLong));
  }

  @Test
  void rawLengthLimitDependsOnTheNamespaceLength() {
    MemcachedKeyScheme wide = MemcachedKeyScheme.withNamespace("n".repeat(32));
    String longestRaw = "r".repeat(MemcachedKeyScheme.MAX_KEY_BYTES - 35);
    assertThat(wide.keyFor(longestRaw))
        .hasSize(MemcachedKeyScheme.MAX_KEY_BYTES)
        .endsWith(":" + longestRaw);
    assertThat(wide.keyFor(longestRaw + "r"))
        .startsWith("n".repeat(32) + "#0:")
        .hasSize(32 + 3 + 43);
  }

  @Test
  void maximalIdsGiveShortHashedKeys() {
    assertThat(scheme.keyFor("x".repeat(DocIds.MAX_UTF8_BYTES))).matches(HASHED_KEY);
    assertThat(scheme.keyFor("\uD83D\uDE00".repeat(DocIds.MAX_UTF8_BYTES / 4))).matches(HASHED_KEY);
  }

  @Test
  void hashingIsDeterministicAcrossCallsAndInstances() {
    String docId = "ein Dokument \uD83D\uDCC4";
    String key = scheme.keyFor(docId);
    assertThat(scheme.keyFor(docId)).isEqualTo(key);
    assertThat(MemcachedKeyScheme.defaultScheme().keyFor(docId)).isEqualTo(key);
    assertThat(MemcachedKeyScheme.withNamespace("fs1").keyFor(docId)).isEqualTo(key);
    // pinned so that a change of hash, encoding or separator is a conscious, versioned decision
    assertThat(scheme.keyFor("doc 42")).isEqualTo("fs1#0:" + sha256Base64Url("doc 42"));
  }

  @Test
  void eachGenerationHasItsOwnKeysAndMarkerKeysBelongToNone() {
    MemcachedKeyScheme seventh = scheme.inGeneration(7);
    assertThat(seventh.generation()).isEqualTo(7);
    assertThat(seventh.keyFor("doc-42")).isEqualTo("fs1:7:doc-42");
    assertThat(seventh.keyFor("doc 42")).isEqualTo("fs1#7:" + sha256Base64Url("doc 42"));
    assertThat(scheme.inGeneration(1).keyFor("7:doc-42"))
        .as("generation and id cannot blur")
        .isNotEqualTo(seventh.keyFor("doc-42"));
    assertThat(seventh.inGeneration(7)).isSameAs(seventh);
    assertThat(seventh.markerKey("sentinel:0"))
        .isEqualTo(scheme.markerKey("sentinel:0"))
        .isEqualTo("fs1!sentinel:0");
    String longestRaw = "r".repeat(MemcachedKeyScheme.MAX_KEY_BYTES - "fs1:1234567:".length());
    assertThat(scheme.inGeneration(1234567).keyFor(longestRaw))
        .hasSize(MemcachedKeyScheme.MAX_KEY_BYTES);
    assertThat(scheme.inGeneration(1234567).keyFor(longestRaw + "r")).startsWith("fs1#1234567:");
    assertThatThrownBy(() -> scheme.inGeneration(-1))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("Invalid generation: -1");
    assertThatThrownBy(() -> scheme.markerKey("a b"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("Invalid marker name: a b");
  }

  @Test
  void differentIdsAndNamespacesGiveDifferentKeys() {
    assertThat(scheme.keyFor("doc 1")).isNotEqualTo(scheme.keyFor("doc 2"));
    assertThat(scheme.keyFor("doc 1")).isNotEqualTo(scheme.keyFor("doc  1"));
    assertThat(MemcachedKeyScheme.withNamespace("fs2").keyFor("doc 1"))
        .isNotEqualTo(scheme.keyFor("doc 1"));
    assertThat(MemcachedKeyScheme.withNamespace("fs2").keyFor("doc-1")).isEqualTo("fs2:0:doc-1");
  }

  @Test
  void noRawIdCanProduceAHashedKey() {
    String hashed = scheme.keyFor("doc 42");
    // an id spelling out the hashed key, or its tail, stays in the raw key space
    assertThat(scheme.keyFor(hashed)).isEqualTo("fs1:0:" + hashed).isNotEqualTo(hashed);
    assertThat(scheme.keyFor(hashed.substring(4)))
        .isEqualTo("fs1:0:" + hashed.substring(4))
        .isNotEqualTo(hashed);
    assertThat(scheme.keyFor("#" + hashed.substring(4))).isNotEqualTo(hashed);

    for (String docId : adversarialIds()) {
      if (DocIds.isValid(docId)) {
        String key = scheme.keyFor(docId);
        if (key.startsWith("fs1:")) {
          assertThat(key)
              .as("raw key of %s", docId)
              .doesNotStartWith("fs1#")
              .isEqualTo("fs1:0:" + docId);
        } else {
          assertThat(key).as("hashed key of %s", docId).matches(HASHED_KEY);
        }
      }
    }
  }

  @Test
  void everyKeyIsAtMost250BytesOfPrintableAsciiForAdversarialIds() {
    List<String> ids = adversarialIds();
    Map<String, String> idByKey = new HashMap<>();
    int valid = 0;
    for (String docId : ids) {
      if (!DocIds.isValid(docId)) {
        try {
          String key = scheme.keyFor(docId);
          throw new AssertionError(String.format("invalid id %s got key %s", escape(docId), key));
        } catch (InvalidDocIdException expected) {
          continue;
        }
      }
      valid++;
      String key = scheme.keyFor(docId);
      assertSafeMemcachedKey(docId, key);
      String previous = idByKey.put(key, docId);
      if (previous != null && !previous.equals(docId)) {
        throw new AssertionError(
            String.format("%s and %s share key %s", escape(previous), escape(docId), key));
      }
    }
    assertThat(valid).as("enough valid ids among %s", ids.size()).isGreaterThan(800);
    assertThat(ids.size() - valid).as("enough invalid ids").isGreaterThan(300);
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "a\r\nset x 0 0 1",
        "doc\n",
        "doc\u0000",
        "\u007f",
        "x\u0085y",
        "x\u2028y",
        "x\u2029y",
        "\uD800",
        "\uDC00x"
      })
  void invalidIdsAreRejectedBeforeTheyReachAKey(String docId) {
    assertThatThrownBy(() -> scheme.keyFor(docId))
        .isInstanceOf(InvalidDocIdException.class)
        .hasMessageStartingWith("Invalid doc id: ");
  }

  @Test
  void missingEmptyBlankAndOversizedIdsAreRejected() {
    assertThatThrownBy(() -> scheme.keyFor(null))
        .isInstanceOf(InvalidDocIdException.class)
        .hasMessageContaining("missing");
    assertThatThrownBy(() -> scheme.keyFor(""))
        .isInstanceOf(InvalidDocIdException.class)
        .hasMessageContaining("empty");
    assertThatThrownBy(() -> scheme.keyFor("  "))
        .isInstanceOf(InvalidDocIdException.class)
        .hasMessageContaining("whitespace");
    assertThatThrownBy(() -> scheme.keyFor("x".repeat(513)))
        .isInstanceOf(InvalidDocIdException.class)
        .hasMessageContaining("513 bytes");
  }

  @ParameterizedTest
  @ValueSource(strings = {"a", "fs2", "Tenant_1.v-2", "0", "nnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnn"})
  void acceptsNamespacesOfUpTo32SafeChars(String namespace) {
    MemcachedKeyScheme custom = MemcachedKeyScheme.withNamespace(namespace);
    assertThat(custom.namespace()).isEqualTo(namespace);
    assertThat(custom.keyFor("doc-1")).isEqualTo(namespace + ":0:doc-1");
    assertThat(custom.keyFor("doc 1")).isEqualTo(namespace + "#0:" + sha256Base64Url("doc 1"));
  }

  @ParameterizedTest
  @ValueSource(
      strings = {"", "a b", "a:b", "a#b", "fs1:", "ü", "a\n", "nnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnn"})
  void rejectsNamespacesThatCouldBlurTheKeySpaces(String namespace) {
    assertThatThrownBy(() -> MemcachedKeyScheme.withNamespace(namespace))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("Invalid key namespace: " + namespace);
  }

  @Test
  void rejectsNullNamespace() {
    assertThatThrownBy(() -> MemcachedKeyScheme.withNamespace(null))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("Invalid key namespace: null");
  }

  private static void assertSafeMemcachedKey(String docId, String key) {
    byte[] bytes = key.getBytes(StandardCharsets.UTF_8);
    assertThat(bytes.length)
        .as("bytes of key for %s", escape(docId))
        .isBetween(5, MemcachedKeyScheme.MAX_KEY_BYTES);
    for (byte b : bytes) {
      if (b <= 0x20 || b >= 0x7f) {
        throw new AssertionError(
            String.format("byte 0x%02x in key %s for id %s", b, key, escape(docId)));
      }
    }
  }

  private static List<String> adversarialIds() {
    List<String> ids =
        new ArrayList<>(
            List.of(
                "a\r\nset x 0 0 1",
                "a set x 0 0 1",
                "get fs1:doc",
                "doc\tid",
                "fs1#" + "A".repeat(43),
                "fs1:doc-42",
                "#" + "A".repeat(43),
                "x".repeat(246),
                "x".repeat(247),
                "x".repeat(512),
                "x".repeat(513),
                "é".repeat(256),
                "\uD83D\uDE00".repeat(128),
                "\uD83D\uDE00".repeat(128) + "x",
                "\u00A0",
                "\uFEFFdoc",
                "doc\u200B",
                "\u202Edoc"));
    Random random = new Random(20261125L);
    for (int i = 0; i < 2000; i++) {
      ids.add(randomId(random));
    }
    return ids;
  }

  /**
   * Mostly printable ASCII, salted with spaces, controls, lone and paired surrogates and other
   * planes.
   */
  private static String randomId(Random random) {
    int length = random.nextInt(4) == 0 ? 200 + random.nextInt(400) : 1 + random.nextInt(40);
    StringBuilder id = new StringBuilder(length);
    int flavour = random.nextInt(6);
    for (int i = 0; i < length; i++) {
      int dice = random.nextInt(100);
      if (flavour == 0 || dice < 80) {
        id.append((char) (0x21 + random.nextInt(0x7f - 0x21)));
      } else if (dice < 85) {
        id.append(' ');
      } else if (dice < 88 && flavour == 1) {
        id.append((char) random.nextInt(0x20)); // C0
      } else if (dice < 90 && flavour == 2) {
        id.append((char) (0x7f + random.nextInt(0x21))); // DEL and C1
      } else if (dice < 92 && flavour == 3) {
        id.append((char) (0xD800 + random.nextInt(0x800))); // lone surrogate
      } else if (dice < 96) {
        id.appendCodePoint(0x10000 + random.nextInt(0x10FFFF - 0x10000));
      } else {
        id.append((char) (0xA0 + random.nextInt(0xD800 - 0xA0)));
      }
    }
    return id.toString();
  }

  private static String sha256Base64Url(String docId) {
    try {
      byte[] digest =
          MessageDigest.getInstance("SHA-256").digest(docId.getBytes(StandardCharsets.UTF_8));
      return Base64.getUrlEncoder().withoutPadding().encodeToString(digest);
    } catch (Exception e) {
      throw new AssertionError(e);
    }
  }

  private static String escape(String s) {
    if (s == null) {
      return "null";
    }
    StringBuilder out = new StringBuilder();
    s.chars()
        .forEach(
            c ->
                out.append(
                    c >= 0x20 && c < 0x7f
                        ? String.valueOf((char) c)
                        : String.format("\\u%04x", c)));
    return out.length() > 80 ? out.substring(0, 80) + "..." : out.toString();
  }
}
