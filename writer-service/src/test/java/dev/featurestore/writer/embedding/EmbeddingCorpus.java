package dev.featurestore.writer.embedding;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/**
 * A varied, repeatable corpus for engine parity: short and long prose, texts far past 256 word
 * pieces, empty-ish texts, many scripts and emoji, source code, numbers and mixed punctuation.
 */
final class EmbeddingCorpus {

  private static final String[] SUBJECTS = {
    "The committee",
    "A small dog",
    "Our replicator",
    "Marie Curie",
    "The night train",
    "A tired engineer",
    "Every snapshot",
    "The old lighthouse"
  };
  private static final String[] VERBS = {
    "approved", "chased", "followed", "discovered", "crossed", "rewrote", "replaced", "guided"
  };
  private static final String[] OBJECTS = {
    "the budget",
    "a red ball",
    "the Iceberg table",
    "radium",
    "the frozen river",
    "the parser",
    "the previous one",
    "the fishing boats"
  };
  private static final String[] TAILS = {
    "yesterday.",
    "in the park.",
    "without losing a row.",
    "in 1898.",
    "before dawn!",
    "twice, to be sure?",
    "at 03:00 UTC.",
    "through the storm..."
  };

  private static final List<String> FIXED =
      List.of(
          "",
          " ",
          "\n",
          "\t\t",
          ".",
          "?!",
          "a",
          "I",
          "--",
          "...",
          "日本語の文章を埋め込みます。",
          "机器学习模型在生产环境中运行。",
          "한국어 문장도 포함됩니다.",
          "Привет, как дела?",
          "Ελληνικά γράμματα και λέξεις.",
          "مرحبا بالعالم",
          "שלום עולם",
          "हिन्दी में एक वाक्य।",
          "Ça coûte 12,50 € — déjà payé.",
          "Straße, Größe, Fußgänger.",
          "🚀🔥💯",
          "I love pizza 🍕 and sushi 🍣!",
          "👨‍👩‍👧‍👦 family emoji with joiners",
          "Mixed: English, 中文, русский, عربى, 🙂.",
          "Zero\u200Bwidth\u200Bspaces",
          "public static void main(String[] args) { System.out.println(\"hi\"); }",
          "def f(x):\n    return x ** 2 if x > 0 else -x",
          "SELECT doc_id, embedding FROM features WHERE ts > now() - interval '1 day';",
          "for (int i = 0; i < n; i++) sum += a[i] * b[i];",
          "<div class=\"card\"><p>Hello</p></div>",
          "{\"doc_id\": \"doc-42\", \"text\": \"nested json\"}",
          "x = [1, 2, 3]; y = {k: v for k, v in z.items()}",
          "3.14159 2.71828 1.41421 1.73205",
          "0",
          "-1e-12",
          "1,234,567.89",
          "+1 (555) 010-9999",
          "2026-11-25T21:39:20Z",
          "0xDEADBEEF 0b1010 0o777",
          "ALL CAPS SENTENCE ABOUT SHOUTING",
          "MiXeD cAsE tExT",
          "url: https://example.com/a/b?c=d#e",
          "email: someone@example.org",
          "antidisestablishmentarianism",
          "pneumonoultramicroscopicsilicovolcanoconiosis",
          "tl;dr",
          "e.g. i.e. etc. vs.");

  private EmbeddingCorpus() {}

  /** At least {@code size} texts; the first ones fixed, the rest generated from {@code seed}. */
  static List<String> texts(int size, long seed) {
    Random random = new Random(seed);
    List<String> texts = new ArrayList<>(FIXED);
    int generated = 0;
    while (texts.size() < size) {
      int kind = generated++ % 6;
      texts.add(
          switch (kind) {
            case 0 -> sentence(random);
            case 1 -> sentence(random) + " " + sentence(random);
            case 2 -> paragraph(random, 5 + random.nextInt(10));
            // far past 256 word pieces: truncated identically by both engines
            case 3 -> paragraph(random, 30 + random.nextInt(40));
            case 4 -> numbers(random);
            default -> FIXED.get(random.nextInt(FIXED.size())) + " " + sentence(random);
          });
    }
    return texts;
  }

  /**
   * {@code count} texts of two sentences each (about 15 words, 20 word pieces), as documents often
   * are.
   */
  static List<String> sentencePairs(int count, long seed) {
    Random random = new Random(seed);
    List<String> texts = new ArrayList<>(count);
    for (int i = 0; i < count; i++) {
      texts.add(sentence(random) + " " + sentence(random));
    }
    return texts;
  }

  private static String sentence(Random random) {
    return pick(random, SUBJECTS)
        + " "
        + pick(random, VERBS)
        + " "
        + pick(random, OBJECTS)
        + " "
        + pick(random, TAILS);
  }

  private static String paragraph(Random random, int sentences) {
    StringBuilder text = new StringBuilder();
    for (int i = 0; i < sentences; i++) {
      text.append(i == 0 ? "" : " ").append(sentence(random));
    }
    return text.toString();
  }

  private static String numbers(Random random) {
    StringBuilder text = new StringBuilder();
    for (int i = 0, n = 1 + random.nextInt(20); i < n; i++) {
      text.append(i == 0 ? "" : " ")
          .append(
              random.nextInt(3) == 0
                  ? Double.toString(random.nextGaussian())
                  : Integer.toString(random.nextInt(100_000)));
    }
    return text.toString();
  }

  private static String pick(Random random, String[] options) {
    return options[random.nextInt(options.length)];
  }
}
