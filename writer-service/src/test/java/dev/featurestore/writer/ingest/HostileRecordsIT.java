package dev.featurestore.writer.ingest;

import static org.assertj.core.api.Assertions.assertThat;

import dev.featurestore.api.Embeddings;
import dev.featurestore.api.FeatureRow;
import dev.featurestore.iceberg.CatalogSettings;
import dev.featurestore.iceberg.FeatureTable;
import dev.featurestore.writer.TestKafka;
import dev.featurestore.writer.WriterApplication;
import dev.featurestore.writer.embedding.SentenceEmbedder;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.Future;
import org.apache.iceberg.Table;
import org.apache.iceberg.data.IcebergGenerics;
import org.apache.iceberg.data.Record;
import org.apache.iceberg.io.CloseableIterable;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.internals.RecordHeader;
import org.assertj.core.api.SoftAssertions;
import org.junit.jupiter.api.Test;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.kafka.test.EmbeddedKafkaKraftBroker;

/**
 * Issue 14's hostile-input battery: one writer (real Kafka, real Iceberg on SQLite, the bundled
 * MiniLM) gets a table of crafted records (bad JSON, wrong types, bad UTF-8 in value and key, odd
 * and over-long ids, texts at and over the limit written plainly and fully escaped, deep nesting,
 * duplicate fields, BOM, empty and null keys, tombstones, rewrites, texts without content, producer
 * headers) and a few hundred random ones (raw bytes, mutated documents, random Unicode, token
 * soup). Every record must end where the contract says: a row with the right id and the vector of
 * its text, a tombstone's id gone from the table, or one dead letter with the right code, the exact
 * key and value bytes and the producer's headers followed by ours; rows + erased + dead letters add
 * up to the records sent, and the writer is still healthy afterwards.
 *
 * <p>Random part: {@code -Dhostile.random.records=N -Dhostile.seed=S}.
 */
class HostileRecordsIT {

  private static final Logger LOG = LoggerFactory.getLogger(HostileRecordsIT.class);
  private static final String TOPIC = "documents";
  private static final String DLQ = "documents.dlq";
  private static final String GROUP = "featurestore-writer";
  private static final int PARTITIONS = 3;
  private static final int LIMIT = 65536;
  private static final int RANDOM_RECORDS = Integer.getInteger("hostile.random.records", 200);
  private static final long SEED = Long.getLong("hostile.seed", 14L);
  private static final List<String> OUR_HEADERS =
      List.of(
          DeadLetterChannel.HEADER_ERROR_CODE,
          DeadLetterChannel.HEADER_ERROR_MESSAGE,
          DeadLetterChannel.HEADER_SOURCE_TOPIC,
          DeadLetterChannel.HEADER_SOURCE_PARTITION,
          DeadLetterChannel.HEADER_SOURCE_OFFSET);

  /** What must become of a record. */
  sealed interface Fate permits Row, Erased, Tombstone, Deletion, Dead {}

  /**
   * A row with this id and the vector of this text; a random record's row may fail the quality gate
   * instead.
   */
  record Row(String docId, String text, boolean random) implements Fate {}

  /** A good document whose row a later tombstone of its id erases. */
  record Erased(String docId) implements Fate {}

  /** A tombstone: its id is not in the table afterwards. */
  record Tombstone(String docId) implements Fate {}

  /** A tombstone without the erasure header: a deletion row, kept as the id's history. */
  record Deletion(String docId) implements Fate {}

  /** One dead letter with this code. */
  record Dead(Rejection.Code code) implements Fate {}

  record Case(
      String name, int partition, byte[] key, byte[] value, List<Header> headers, Fate fate) {}

  record Sent(Case spec, int partition, long offset) {
    String source() {
      return partition + "@" + offset;
    }
  }

  private final List<Case> cases = new ArrayList<>();

  @Test
  void everyHostileRecordEndsInTheTableOrTheDeadLetterTopicAsTheContractSays() throws Exception {
    battery();
    int crafted = cases.size();
    randomRecords(new Random(SEED), RANDOM_RECORDS);
    LOG.info("{} crafted and {} random records (seed {})", crafted, cases.size() - crafted, SEED);

    EmbeddedKafkaKraftBroker kafka = TestKafka.start();
    Path stateDir = Files.createTempDirectory(Path.of("target"), "hostile-records-");
    Path modelCache = Path.of("target", "model-cache").toAbsolutePath();
    SoftAssertions soft = new SoftAssertions();
    try {
      List<Sent> sent = send(kafka);
      Map<String, List<FeatureRow>> rows;
      Map<String, List<ConsumerRecord<byte[], byte[]>>> letters;
      try (ConfigurableApplicationContext writer =
          WriterApplication.builder()
              .run(
                  "--server.port=0",
                  "--featurestore.state-dir=" + stateDir.toAbsolutePath(),
                  "--featurestore.embedding.cache-dir=" + modelCache,
                  "--spring.kafka.bootstrap-servers=" + kafka.getBrokersAsString())) {
        awaitDrained(stateDir, sent);
        IngestLoop loop = writer.getBean(IngestLoop.class);
        assertThat(loop.isAlive()).as("the writer's threads survived the battery").isTrue();
        assertThat(loop.lastError()).as("the writer's last error").isNull();
        rows = readTable(stateDir);
        letters = readDeadLetters(kafka);
        checkAlreadyDeadLettered(soft, kafka, sent);
      }
      verify(soft, sent, rows, letters, modelCache);
    } finally {
      kafka.destroy();
    }
  }

  // ---------------------------------------------------------------------------------------------------------
  // the crafted records

  private void battery() {
    // accepted
    good("plain document", "doc-plain", "A man is eating food.");
    add(
        "null key",
        null,
        doc("doc-null-key", "No key at all."),
        new Row("doc-null-key", "No key at all.", false));
    add(
        "empty key counts as no key",
        new byte[0],
        doc("doc-empty-key", "An empty key."),
        new Row("doc-empty-key", "An empty key.", false));
    good("path traversal id", "../../etc/passwd", "Ids are opaque strings.");
    good("backslash id", "a\\b", "A backslash in the id.");
    good("unicode id", "dokument/ü \uD83D\uDCC4 文档", "Unicode ids arrive unchanged.");
    good("512-byte id", "é".repeat(256), "The longest id there is.");
    add(
        "escaped id and text",
        utf8("é"),
        utf8("{\"doc_id\":\"\\u00e9\",\"text\":\"tab\\there \\\"quoted\\\" \\/ slash\"}"),
        new Row("é", "tab\there \"quoted\" / slash", false));
    add(
        "whitespace around the JSON",
        utf8("doc-ws"),
        utf8("\n\t {\"doc_id\" : \"doc-ws\" ,\r\n \"text\" : \"Padded.\" } \n"),
        new Row("doc-ws", "Padded.", false));
    add(
        "unknown fields with nested metadata",
        utf8("doc-meta"),
        utf8(
            "{\"source\":\"crawler\",\"doc_id\":\"doc-meta\",\"meta\":{\"lang\":\"en\",\"tags\":[1,2,{\"x\":null}]},\"text\":\"Metadata is ignored.\",\"score\":-0.5e3}"),
        new Row("doc-meta", "Metadata is ignored.", false));
    add(
        "huge number in an ignored field",
        utf8("doc-huge-number"),
        utf8(
            "{\"doc_id\":\"doc-huge-number\",\"n\":1"
                + "7".repeat(20_000)
                + ",\"f\":-1."
                + "3".repeat(5_000)
                + "e99999,\"text\":\"Big numbers elsewhere.\"}"),
        new Row("doc-huge-number", "Big numbers elsewhere.", false));
    add(
        "100-deep nesting in an ignored field",
        utf8("doc-nested"),
        utf8(
            "{\"doc_id\":\"doc-nested\",\"meta\":"
                + "[".repeat(100)
                + "]".repeat(100)
                + ",\"text\":\"Nested metadata.\"}"),
        new Row("doc-nested", "Nested metadata.", false));
    add(
        "duplicate text keeps the last",
        utf8("doc-dup-text"),
        utf8("{\"doc_id\":\"doc-dup-text\",\"text\":\"first\",\"text\":\"The second text wins.\"}"),
        new Row("doc-dup-text", "The second text wins.", false));
    add(
        "duplicate doc_id keeps the last",
        null,
        utf8("{\"doc_id\":\"doc-dup-a\",\"text\":\"Which id?\",\"doc_id\":\"doc-dup-b\"}"),
        new Row("doc-dup-b", "Which id?", false));
    String atLimit = words(LIMIT);
    good("text of exactly the limit", "doc-at-limit", atLimit);
    String e60k = "é".repeat(30_000);
    add(
        "60,000-byte text as \\u00e9 escapes",
        utf8("doc-escaped-60k"),
        utf8("{\"doc_id\":\"doc-escaped-60k\",\"text\":\"" + "\\u00e9".repeat(30_000) + "\"}"),
        new Row("doc-escaped-60k", e60k, false));
    String lines = "line\n".repeat(LIMIT / 5) + "x".repeat(LIMIT % 5);
    good("65,536-byte text with many newlines", "doc-newlines", lines);
    String controls = "x" + "\u0001".repeat(LIMIT - 1);
    String longId = "é".repeat(256);
    add(
        "limit text and 512-byte id, every character escaped",
        utf8(longId),
        utf8(
            "{\"\\u0064\\u006f\\u0063\\u005f\\u0069\\u0064\":"
                + jsAll(longId)
                + ",\"\\u0074\\u0065\\u0078\\u0074\":"
                + jsAll(controls)
                + "}"),
        new Row(longId, controls, false));
    for (String text : List.of("!", "é", "日本", "42", "€")) {
      good("short text " + text, "doc-short-" + text, text);
    }
    good("NUL inside a text", "doc-nul", "a\u0000b");
    good(
        "emoji and right-to-left text",
        "doc-emoji",
        "\uD83D\uDE80 שלום عالم \uD83D\uDC4D\uD83C\uDFFD");
    good(
        "text with content between invisible characters",
        "doc-nbsp-x",
        "\u00a0\u200bx\u200b\u00a0");
    for (int i = 0; i < 20; i++) {
      add(
          "rewrite " + i,
          1,
          utf8("doc-rewritten"),
          doc("doc-rewritten", "Version " + i + " of the rewritten document."),
          List.of(),
          new Row("doc-rewritten", "Version " + i + " of the rewritten document.", false));
    }
    add(
        "good document with producer headers",
        utf8("doc-headers"),
        doc("doc-headers", "Headers do not matter here."),
        List.of(header("trace-id", "t-1"), header(DeadLetterChannel.HEADER_ERROR_CODE, "FAKE")),
        new Row("doc-headers", "Headers do not matter here.", false));

    // tombstones
    add(
        "document erased later",
        2,
        utf8("doc-erase-me"),
        doc("doc-erase-me", "Erased soon."),
        List.of(),
        new Erased("doc-erase-me"));
    add(
        "erasure of an earlier document",
        2,
        utf8("doc-erase-me"),
        null,
        List.of(header(DocumentParser.ERASURE_HEADER, "true")),
        new Tombstone("doc-erase-me"));
    add(
        "erasure of an id never written",
        utf8("doc-never-written"),
        null,
        List.of(header(DocumentParser.ERASURE_HEADER, "true")),
        new Tombstone("doc-never-written"));
    add(
        "deletion of an id never written",
        utf8("doc-deleted-unseen"),
        null,
        new Deletion("doc-deleted-unseen"));
    add("tombstone without a key", null, null, new Dead(Rejection.Code.MISSING_FIELD));
    add("tombstone with an empty key", new byte[0], null, new Dead(Rejection.Code.MISSING_FIELD));
    add(
        "tombstone with an invalid id as key",
        utf8("bad\nkey"),
        null,
        new Dead(Rejection.Code.INVALID_DOC_ID));
    add(
        "tombstone with a key that is not UTF-8",
        new byte[] {(byte) 0xFF, (byte) 0xFE},
        null,
        new Dead(Rejection.Code.INVALID_UTF8));

    // dead letters
    dead("not JSON", "{not json", Rejection.Code.NOT_JSON);
    dead("trailing garbage", "{\"doc_id\":\"d\",\"text\":\"t\"} x", Rejection.Code.NOT_JSON);
    dead("two JSON values", "{\"doc_id\":\"d\",\"text\":\"t\"}{}", Rejection.Code.NOT_JSON);
    dead("single quotes", "{'doc_id':'d','text':'t'}", Rejection.Code.NOT_JSON);
    dead(
        "raw control character in a string",
        "{\"doc_id\":\"d\",\"text\":\"a\u0001b\"}",
        Rejection.Code.NOT_JSON);
    add(
        "UTF-8 BOM before the JSON",
        null,
        concat(new byte[] {(byte) 0xEF, (byte) 0xBB, (byte) 0xBF}, doc("doc-bom", "BOM.")),
        new Dead(Rejection.Code.NOT_JSON));
    dead(
        "10,000-deep nesting",
        "{\"doc_id\":\"d\",\"text\":\"t\",\"meta\":"
            + "[".repeat(10_000)
            + "]".repeat(10_000)
            + "}",
        Rejection.Code.NOT_JSON);
    dead("JSON array", "[1,2]", Rejection.Code.NOT_AN_OBJECT);
    dead("JSON string", "\"doc-1\"", Rejection.Code.NOT_AN_OBJECT);
    dead("JSON null", "null", Rejection.Code.NOT_AN_OBJECT);
    add(
        "empty value (not a tombstone)",
        utf8("doc-empty-value"),
        new byte[0],
        new Dead(Rejection.Code.NOT_AN_OBJECT));
    add(
        "invalid UTF-8 in the value",
        utf8("doc-bad-utf8"),
        concat(
            utf8("{\"doc_id\":\"doc-bad-utf8\",\"text\":\"caf"),
            new byte[] {(byte) 0xC3, (byte) 0x28},
            utf8("\"}")),
        new Dead(Rejection.Code.INVALID_UTF8));
    add(
        "encoded surrogate in the value",
        null,
        concat(
            utf8("{\"doc_id\":\"d\",\"text\":\""),
            new byte[] {(byte) 0xED, (byte) 0xA0, (byte) 0x80},
            utf8("\"}")),
        new Dead(Rejection.Code.INVALID_UTF8));
    add(
        "key that is not UTF-8",
        new byte[] {'d', (byte) 0xFF},
        doc("d\uFFFD", "The key is broken."),
        new Dead(Rejection.Code.INVALID_UTF8));
    add(
        "overlong UTF-8 in the key",
        new byte[] {(byte) 0xC0, (byte) 0xAF},
        doc("/", "The key is overlong."),
        new Dead(Rejection.Code.INVALID_UTF8));
    dead("doc_id is a number", "{\"doc_id\":42,\"text\":\"t\"}", Rejection.Code.WRONG_TYPE);
    dead(
        "text is an object",
        "{\"doc_id\":\"d\",\"text\":{\"body\":\"t\"}}",
        Rejection.Code.WRONG_TYPE);
    dead("text is an array", "{\"doc_id\":\"d\",\"text\":[\"t\"]}", Rejection.Code.WRONG_TYPE);
    dead("text is a boolean", "{\"doc_id\":\"d\",\"text\":true}", Rejection.Code.WRONG_TYPE);
    dead("missing text", "{\"doc_id\":\"d\"}", Rejection.Code.MISSING_FIELD);
    dead("null text", "{\"doc_id\":\"d\",\"text\":null}", Rejection.Code.MISSING_FIELD);
    dead("missing doc_id", "{\"text\":\"t\"}", Rejection.Code.MISSING_FIELD);
    add(
        "513-byte id",
        null,
        doc("x".repeat(513), "Too long an id."),
        new Dead(Rejection.Code.INVALID_DOC_ID));
    add(
        "id with a control character",
        null,
        doc("a\u0007b", "Bell."),
        new Dead(Rejection.Code.INVALID_DOC_ID));
    add("id of spaces", null, doc("   ", "Blank id."), new Dead(Rejection.Code.INVALID_DOC_ID));
    add("empty id", null, doc("", "Empty id."), new Dead(Rejection.Code.INVALID_DOC_ID));
    add(
        "key differs from doc_id",
        utf8("doc-k1"),
        doc("doc-k2", "Mismatch."),
        new Dead(Rejection.Code.KEY_MISMATCH));
    add(
        "10,000-byte key differs from doc_id",
        utf8("k".repeat(10_000)),
        doc("doc-k3", "Mismatch."),
        new Dead(Rejection.Code.KEY_MISMATCH));
    add(
        "key differs by a trailing space",
        utf8("doc-k4 "),
        doc("doc-k4", "Mismatch."),
        new Dead(Rejection.Code.KEY_MISMATCH));
    String overLimit = words(LIMIT + 1);
    add(
        "text one byte over the limit",
        utf8("doc-over"),
        doc("doc-over", overLimit),
        new Dead(Rejection.Code.TEXT_TOO_LARGE));
    add(
        "text one byte over the limit, escaped",
        utf8("doc-over-escaped"),
        utf8("{\"doc_id\":\"doc-over-escaped\",\"text\":" + jsAll(lines + "x") + "}"),
        new Dead(Rejection.Code.TEXT_TOO_LARGE));
    add(
        "raw value over the guard",
        utf8("doc-raw-guard"),
        utf8(
            "{\"doc_id\":\"doc-raw-guard\",\"text\":\"t\",\"pad\":\""
                + "p".repeat(600_000)
                + "\"}"),
        new Dead(Rejection.Code.TEXT_TOO_LARGE));
    add(
        "lone surrogate escape in the text",
        null,
        utf8("{\"doc_id\":\"doc-lone\",\"text\":\"a\\ud800b\"}"),
        new Dead(Rejection.Code.INVALID_UTF8));
    for (String text :
        List.of(
            "",
            "\u200b",
            "\u00a0\u00a0",
            "\u0000\u0001",
            "\ufeff",
            "\u3000",
            " \n\t ",
            "\u0301\u00ad")) {
      add(
          "no content: " + jsAll(text),
          null,
          utf8("{\"doc_id\":\"doc-no-content\",\"text\":" + jsAll(text) + "}"),
          new Dead(Rejection.Code.EMPTY_TEXT));
    }
    add(
        "dead letter with producer headers",
        utf8("doc-headers-dead"),
        utf8("{oops"),
        List.of(
            header("trace-id", "t-2"),
            header("trace-id", "t-3"),
            new RecordHeader("null-valued", null),
            new RecordHeader("binary", new byte[] {0, (byte) 0xFF, 10}),
            header(DeadLetterChannel.HEADER_SOURCE_TOPIC, TOPIC),
            header(DeadLetterChannel.HEADER_SOURCE_PARTITION, "0"),
            header(DeadLetterChannel.HEADER_SOURCE_OFFSET, "999999"),
            header(DeadLetterChannel.HEADER_ERROR_CODE, "FAKE")),
        new Dead(Rejection.Code.NOT_JSON));
  }

  private void good(String name, String docId, String text) {
    add(name, utf8(docId), doc(docId, text), new Row(docId, text, false));
  }

  private void dead(String name, String value, Rejection.Code code) {
    add(name, null, utf8(value), new Dead(code));
  }

  private void add(String name, byte[] key, byte[] value, Fate fate) {
    add(name, key, value, List.of(), fate);
  }

  private void add(String name, byte[] key, byte[] value, List<Header> headers, Fate fate) {
    add(name, cases.size() % PARTITIONS, key, value, headers, fate);
  }

  private void add(
      String name, int partition, byte[] key, byte[] value, List<Header> headers, Fate fate) {
    cases.add(new Case(name, partition, key, value, headers, fate));
  }

  // ---------------------------------------------------------------------------------------------------------
  // random records: the parser is the oracle, the pipeline must follow it and survive

  private void randomRecords(Random random, int count) {
    DocumentParser oracle = new DocumentParser(LIMIT);
    Set<String> rowIds = new HashSet<>();
    cases.forEach(
        c -> {
          if (c.fate() instanceof Row row) {
            rowIds.add(row.docId());
          } else if (c.fate() instanceof Erased erased) {
            rowIds.add(erased.docId());
          }
        });
    List<Case> generated = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      byte[] key;
      byte[] value;
      switch (random.nextInt(4)) {
        case 0 -> {
          key = random.nextInt(5) == 0 ? null : randomBytes(random, random.nextInt(12));
          value = random.nextInt(8) == 0 ? null : randomBytes(random, random.nextInt(160));
        }
        case 1 -> {
          String id = "rnd-" + i;
          value =
              mutate(
                  random,
                  doc(id, "Random document " + i + " about " + words(20 + random.nextInt(60))));
          key = pickKey(random, id);
        }
        case 2 -> {
          String id = "rnd-" + i + "-" + randomUnicode(random, 4);
          String text = randomUnicode(random, 1 + random.nextInt(40));
          value =
              utf8(
                  "{\"doc_id\":"
                      + (random.nextBoolean() ? js(id) : jsAll(id))
                      + ",\"text\":"
                      + (random.nextBoolean() ? js(text) : jsAll(text))
                      + "}");
          key = pickKey(random, id);
        }
        default -> {
          key = random.nextBoolean() ? null : utf8("rnd-" + i);
          value = utf8(tokenSoup(random));
        }
      }
      List<Header> headers = new ArrayList<>();
      if (random.nextInt(4) == 0) {
        String[] names = {
          "trace-id",
          DeadLetterChannel.HEADER_SOURCE_OFFSET,
          DeadLetterChannel.HEADER_ERROR_CODE,
          "ü",
          ""
        };
        for (int h = random.nextInt(4); h >= 0; h--) {
          headers.add(
              new RecordHeader(
                  names[random.nextInt(names.length)],
                  random.nextInt(5) == 0 ? null : randomBytes(random, random.nextInt(8))));
        }
      }
      DocumentParser.Result result = oracle.parse(key, value, 0);
      Fate fate;
      if (result.isAccepted()) {
        fate = new Row(result.document().docId(), result.document().text(), true);
        rowIds.add(result.document().docId());
      } else if (result.isTombstone()) {
        fate = new Deletion(result.tombstoneDocId());
      } else {
        fate = new Dead(result.rejection().code());
      }
      generated.add(
          new Case(
              "random " + i, random.nextInt(PARTITIONS), key, value, List.copyOf(headers), fate));
    }
    for (Case c : generated) {
      // a random tombstone must not erase another case's row (the order across partitions is not
      // defined)
      if (c.fate() instanceof Deletion t && rowIds.contains(t.docId())) {
        cases.add(
            new Case(
                c.name(),
                c.partition(),
                c.key(),
                utf8("{}"),
                c.headers(),
                new Dead(Rejection.Code.MISSING_FIELD)));
      } else {
        cases.add(c);
      }
    }
  }

  private static byte[] pickKey(Random random, String id) {
    return switch (random.nextInt(4)) {
      case 0 -> null;
      case 1 -> new byte[0];
      case 2 -> randomBytes(random, 1 + random.nextInt(6));
      default -> utf8(id);
    };
  }

  private static byte[] randomBytes(Random random, int length) {
    byte[] bytes = new byte[length];
    random.nextBytes(bytes);
    return bytes;
  }

  private static byte[] mutate(Random random, byte[] value) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    int flips = random.nextInt(4);
    Set<Integer> at = new HashSet<>();
    for (int i = 0; i < flips; i++) {
      at.add(random.nextInt(value.length));
    }
    for (int i = 0; i < value.length; i++) {
      if (!at.contains(i)) {
        out.write(value[i]);
        continue;
      }
      switch (random.nextInt(3)) {
        case 0 -> out.write(random.nextInt(256)); // replace
        case 1 -> {} // delete
        default -> {
          out.write(value[i]);
          out.write(random.nextInt(256)); // insert
        }
      }
    }
    return out.toByteArray();
  }

  /** Code points from the corners of Unicode, lone surrogates included. */
  private static String randomUnicode(Random random, int length) {
    int[][] ranges = {
      {0x20, 0x7E},
      {0x00, 0x1F},
      {0x7F, 0x9F},
      {0xA0, 0xFF},
      {0x300, 0x36F},
      {0x200B, 0x200F},
      {0x2028, 0x202E},
      {0xFEFF, 0xFEFF},
      {0x3000, 0x3000},
      {0x4E00, 0x4E20},
      {0xD800, 0xDFFF},
      {0x1F600, 0x1F64F},
      {0xE000, 0xE00F},
      {0xFFF0, 0xFFFF}
    };
    StringBuilder s = new StringBuilder();
    for (int i = 0; i < length; i++) {
      int[] range = ranges[random.nextInt(ranges.length)];
      s.appendCodePoint(range[0] + random.nextInt(range[1] - range[0] + 1));
    }
    return s.toString();
  }

  private static String tokenSoup(Random random) {
    String[] tokens = {
      "{",
      "}",
      "[",
      "]",
      ":",
      ",",
      "\"doc_id\"",
      "\"text\"",
      "\"rnd\"",
      "\"x y\"",
      "1",
      "-0.5e3",
      "1e99999",
      "null",
      "true",
      " ",
      "\"\\u00e9\"",
      "\"\\ud800\"",
      "\"\\u0000\"",
      "\"",
      "\\"
    };
    StringBuilder s = new StringBuilder();
    for (int i = random.nextInt(30); i > 0; i--) {
      s.append(tokens[random.nextInt(tokens.length)]);
    }
    return s.toString();
  }

  // ---------------------------------------------------------------------------------------------------------
  // Kafka and the table

  private List<Sent> send(EmbeddedKafkaKraftBroker kafka) throws Exception {
    List<Future<RecordMetadata>> futures = new ArrayList<>();
    try (KafkaProducer<byte[], byte[]> producer = TestKafka.rawProducer(kafka)) {
      for (Case c : cases) {
        futures.add(
            producer.send(
                new ProducerRecord<>(TOPIC, c.partition(), null, c.key(), c.value(), c.headers())));
      }
      producer.flush();
      List<Sent> sent = new ArrayList<>();
      for (int i = 0; i < cases.size(); i++) {
        RecordMetadata metadata = futures.get(i).get();
        sent.add(new Sent(cases.get(i), metadata.partition(), metadata.offset()));
      }
      return sent;
    }
  }

  private static Table table(Path stateDir) {
    CatalogSettings settings = CatalogSettings.defaults();
    return FeatureTable.createOrLoad(
        settings.load(stateDir), FeatureTable.identifier(settings.table()));
  }

  private static void awaitDrained(Path stateDir, List<Sent> sent) throws InterruptedException {
    Map<TopicPartition, Long> ends = new HashMap<>();
    sent.forEach(
        s -> ends.merge(new TopicPartition(TOPIC, s.partition()), s.offset() + 1, Math::max));
    long deadline = System.nanoTime() + Duration.ofMinutes(4).toNanos();
    OffsetLedger ledger = OffsetLedger.empty(GROUP);
    while (System.nanoTime() < deadline) {
      try {
        ledger = OffsetLedger.read(table(stateDir), GROUP);
      } catch (RuntimeException e) {
        // the writer has not created the table yet
      }
      OffsetLedger current = ledger;
      if (ends.entrySet().stream()
          .allMatch(
              e -> current.next(e.getKey()) != null && current.next(e.getKey()) >= e.getValue())) {
        return;
      }
      Thread.sleep(250);
    }
    throw new AssertionError(
        "the writer did not drain " + ends + " within 4 minutes; ledger " + ledger.nextOffsets());
  }

  /** Live rows by source partition@offset. */
  private static Map<String, List<FeatureRow>> readTable(Path stateDir) throws Exception {
    Map<String, List<FeatureRow>> rows = new HashMap<>();
    try (CloseableIterable<Record> records = IcebergGenerics.read(table(stateDir)).build()) {
      for (Record record : records) {
        if (!TOPIC.equals(record.getField(FeatureTable.KAFKA_TOPIC))) {
          continue; // the warm-up row, if it was left
        }
        String source =
            record.getField(FeatureTable.KAFKA_PARTITION)
                + "@"
                + record.getField(FeatureTable.KAFKA_OFFSET);
        rows.computeIfAbsent(source, s -> new ArrayList<>()).add(FeatureTable.fromRecord(record));
      }
    }
    return rows;
  }

  /** Committed dead letters by source partition@offset (as our last headers say). */
  private static Map<String, List<ConsumerRecord<byte[], byte[]>>> readDeadLetters(
      EmbeddedKafkaKraftBroker kafka) {
    Map<String, List<ConsumerRecord<byte[], byte[]>>> letters = new HashMap<>();
    for (ConsumerRecord<byte[], byte[]> record : TestKafka.readCommitted(kafka, DLQ, PARTITIONS)) {
      String source =
          header(record, DeadLetterChannel.HEADER_SOURCE_PARTITION)
              + "@"
              + header(record, DeadLetterChannel.HEADER_SOURCE_OFFSET);
      letters.computeIfAbsent(source, s -> new ArrayList<>()).add(record);
    }
    return letters;
  }

  /**
   * The writer's own replay check reads our headers, not the producer's copies of the same names.
   */
  private static void checkAlreadyDeadLettered(
      SoftAssertions soft, EmbeddedKafkaKraftBroker kafka, List<Sent> sent) {
    Map<String, Object> config =
        Map.of(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.getBrokersAsString());
    try (DeadLetterChannel channel = new DeadLetterChannel(config, config, DLQ, "hostile-check")) {
      for (int p = 0; p < PARTITIONS; p++) {
        int partition = p;
        Set<Long> expected = new HashSet<>();
        sent.stream()
            .filter(s -> s.partition() == partition && s.spec().fate() instanceof Dead)
            .forEach(s -> expected.add(s.offset()));
        Set<Long> actual = channel.alreadyDeadLettered(new TopicPartition(TOPIC, p), null, 0);
        // a random row may have failed the quality gate: a dead letter, too
        soft.assertThat(actual)
            .as("offsets of partition %d the writer finds dead-lettered", p)
            .containsAll(expected);
        soft.assertThat(actual)
            .as("offsets of partition %d the writer finds dead-lettered", p)
            .allMatch(
                offset ->
                    expected.contains(offset)
                        || sent.stream()
                            .anyMatch(
                                s ->
                                    s.partition() == partition
                                        && s.offset() == offset
                                        && s.spec().fate() instanceof Row r
                                        && r.random()));
      }
    }
  }

  // ---------------------------------------------------------------------------------------------------------
  // the verdict

  private void verify(
      SoftAssertions soft,
      List<Sent> sent,
      Map<String, List<FeatureRow>> rows,
      Map<String, List<ConsumerRecord<byte[], byte[]>>> letters,
      Path modelCache)
      throws Exception {
    Set<String> liveIds = new HashSet<>();
    rows.values()
        .forEach(
            list ->
                list.stream()
                    .filter(row -> !row.deleted())
                    .forEach(row -> liveIds.add(row.docId())));
    Set<String> sources = new HashSet<>();
    List<Sent> rowCases = new ArrayList<>();
    List<FeatureRow> rowFound = new ArrayList<>();
    Map<String, Integer> fates = new TreeMap<>();
    Map<Rejection.Code, Integer> codes = new EnumMap<>(Rejection.Code.class);
    int vanished = 0;
    for (Sent s : sent) {
      String what = s.spec().name() + " (" + s.source() + ")";
      sources.add(s.source());
      List<FeatureRow> at = rows.getOrDefault(s.source(), List.of());
      List<ConsumerRecord<byte[], byte[]>> dead = letters.getOrDefault(s.source(), List.of());
      soft.assertThat(at.size() + dead.size())
          .as("%s: rows plus dead letters", what)
          .isLessThanOrEqualTo(1);
      if (at.isEmpty() && dead.isEmpty()) {
        vanished++;
      }
      Fate fate = s.spec().fate();
      if (fate instanceof Row row) {
        if (row.random()
            && dead.size() == 1
            && Rejection.Code.INVALID_EMBEDDING
                .name()
                .equals(header(dead.get(0), DeadLetterChannel.HEADER_ERROR_CODE))) {
          fates.merge("dead letter (random row failing the quality gate)", 1, Integer::sum);
          checkDeadLetter(soft, what, s, dead.get(0), Rejection.Code.INVALID_EMBEDDING);
          continue;
        }
        fates.merge(row.random() ? "row (random)" : "row", 1, Integer::sum);
        soft.assertThat(dead)
            .as(
                "%s: dead letters %s",
                what,
                dead.stream().map(d -> header(d, DeadLetterChannel.HEADER_ERROR_MESSAGE)).toList())
            .isEmpty();
        soft.assertThat(at).as("%s: rows", what).hasSize(1);
        if (at.size() == 1) {
          soft.assertThat(at.get(0).docId()).as("%s: doc id", what).isEqualTo(row.docId());
          soft.assertThat(at.get(0).embedding())
              .as("%s: vector", what)
              .hasSize(Embeddings.DIMENSION);
          rowCases.add(s);
          rowFound.add(at.get(0));
        }
      } else if (fate instanceof Erased erased) {
        fates.merge("erased by a later tombstone", 1, Integer::sum);
        soft.assertThat(at).as("%s: rows", what).isEmpty();
        soft.assertThat(dead).as("%s: dead letters", what).isEmpty();
        soft.assertThat(liveIds)
            .as("%s: the erased id is gone", what)
            .doesNotContain(erased.docId());
      } else if (fate instanceof Tombstone tombstone) {
        fates.merge("tombstone", 1, Integer::sum);
        soft.assertThat(at).as("%s: rows", what).isEmpty();
        soft.assertThat(dead)
            .as(
                "%s: dead letters %s",
                what,
                dead.stream().map(d -> header(d, DeadLetterChannel.HEADER_ERROR_MESSAGE)).toList())
            .isEmpty();
        soft.assertThat(liveIds)
            .as("%s: the tombstoned id is gone", what)
            .doesNotContain(tombstone.docId());
      } else if (fate instanceof Deletion deletion) {
        fates.merge("deletion", 1, Integer::sum);
        soft.assertThat(at).as("%s: rows", what).hasSize(1);
        if (at.size() == 1) {
          soft.assertThat(at.get(0).deleted()).as("%s: a deletion row", what).isTrue();
          soft.assertThat(at.get(0).docId()).as("%s: doc id", what).isEqualTo(deletion.docId());
        }
        soft.assertThat(dead).as("%s: dead letters", what).isEmpty();
        soft.assertThat(liveIds)
            .as("%s: the deleted id is not live", what)
            .doesNotContain(deletion.docId());
      } else if (fate instanceof Dead expected) {
        fates.merge("dead letter", 1, Integer::sum);
        codes.merge(expected.code(), 1, Integer::sum);
        soft.assertThat(at).as("%s: rows", what).isEmpty();
        soft.assertThat(dead).as("%s: dead letters", what).hasSize(1);
        if (dead.size() == 1) {
          checkDeadLetter(soft, what, s, dead.get(0), expected.code());
        }
      }
    }
    // the accounting: every record sent is a row, a dead letter or gone (erased or a tombstone),
    // and nothing else is there
    int rowCount = rows.values().stream().mapToInt(List::size).sum();
    int letterCount = letters.values().stream().mapToInt(List::size).sum();
    int gone =
        fates.getOrDefault("erased by a later tombstone", 0) + fates.getOrDefault("tombstone", 0);
    soft.assertThat(rows.keySet()).as("rows from records never sent").isSubsetOf(sources);
    soft.assertThat(letters.keySet()).as("dead letters of records never sent").isSubsetOf(sources);
    soft.assertThat(vanished)
        .as("records neither in the table nor in the dead-letter topic")
        .isEqualTo(gone);
    soft.assertThat(rowCount + letterCount + vanished)
        .as("rows (deletions among them) + dead letters + erased and erasures")
        .isEqualTo(sent.size());
    LOG.info(
        "{} records: {}; dead letters by code {}; {} rows, {} dead letters",
        sent.size(),
        fates,
        codes,
        rowCount,
        letterCount);

    // the vector of each row is the model's vector for the text it was sent with
    try (SentenceEmbedder embedder = SentenceEmbedder.builder().cacheDir(modelCache).build()) {
      List<float[]> expected =
          embedder.embed(rowCases.stream().map(s -> ((Row) s.spec().fate()).text()).toList());
      int identical = 0;
      for (int i = 0; i < rowCases.size(); i++) {
        float[] actual = rowFound.get(i).embedding();
        soft.assertThat(1 - Embeddings.cosine(actual, expected.get(i)))
            .as("%s: 1 - cosine to the text's own vector", rowCases.get(i).spec().name())
            .isLessThan(1e-6);
        identical += Arrays.equals(actual, expected.get(i)) ? 1 : 0;
      }
      LOG.info(
          "{} of {} vectors bit-identical to the text embedded alone", identical, rowCases.size());
    }
    soft.assertAll();
  }

  private static void checkDeadLetter(
      SoftAssertions soft,
      String what,
      Sent s,
      ConsumerRecord<byte[], byte[]> letter,
      Rejection.Code code) {
    soft.assertThat(header(letter, DeadLetterChannel.HEADER_ERROR_CODE))
        .as("%s: code (%s)", what, header(letter, DeadLetterChannel.HEADER_ERROR_MESSAGE))
        .isEqualTo(code.name());
    soft.assertThat(header(letter, DeadLetterChannel.HEADER_ERROR_MESSAGE))
        .as("%s: message", what)
        .isNotBlank();
    soft.assertThat(header(letter, DeadLetterChannel.HEADER_SOURCE_TOPIC))
        .as("%s: source topic", what)
        .isEqualTo(TOPIC);
    soft.assertThat(letter.key()).as("%s: the key, byte for byte", what).isEqualTo(s.spec().key());
    soft.assertThat(letter.value())
        .as("%s: the value, byte for byte", what)
        .isEqualTo(s.spec().value());
    List<Header> headers = Arrays.asList(letter.headers().toArray());
    List<Header> sentHeaders = s.spec().headers();
    soft.assertThat(headers)
        .as("%s: headers", what)
        .extracting(Header::key)
        .hasSize(sentHeaders.size() + OUR_HEADERS.size());
    if (headers.size() == sentHeaders.size() + OUR_HEADERS.size()) {
      for (int i = 0; i < sentHeaders.size(); i++) {
        soft.assertThat(headers.get(i).key())
            .as("%s: copied header %d", what, i)
            .isEqualTo(sentHeaders.get(i).key());
        soft.assertThat(headers.get(i).value())
            .as("%s: copied header %d value", what, i)
            .isEqualTo(sentHeaders.get(i).value());
      }
      soft.assertThat(headers.subList(sentHeaders.size(), headers.size()))
          .extracting(Header::key)
          .as("%s: our headers, last", what)
          .containsExactlyElementsOf(OUR_HEADERS);
    }
  }

  // ---------------------------------------------------------------------------------------------------------
  // helpers

  private static String header(ConsumerRecord<byte[], byte[]> record, String name) {
    Header header = record.headers().lastHeader(name);
    return header == null || header.value() == null
        ? null
        : new String(header.value(), StandardCharsets.UTF_8);
  }

  private static Header header(String name, String value) {
    return new RecordHeader(name, utf8(value));
  }

  private static byte[] doc(String docId, String text) {
    return utf8("{\"doc_id\":" + js(docId) + ",\"text\":" + js(text) + "}");
  }

  /** A JSON string literal with only the escapes JSON requires. */
  private static String js(String s) {
    StringBuilder out = new StringBuilder(s.length() + 2).append('"');
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      switch (c) {
        case '"' -> out.append("\\\"");
        case '\\' -> out.append("\\\\");
        case '\n' -> out.append("\\n");
        default -> {
          if (c < 0x20) {
            out.append(String.format("\\u%04x", (int) c));
          } else {
            out.append(c);
          }
        }
      }
    }
    return out.append('"').toString();
  }

  /** A JSON string literal with every UTF-16 unit escaped as {@code \\uXXXX}. */
  private static String jsAll(String s) {
    StringBuilder out = new StringBuilder(s.length() * 6 + 2).append('"');
    for (int i = 0; i < s.length(); i++) {
      out.append(String.format("\\u%04x", (int) s.charAt(i)));
    }
    return out.append('"').toString();
  }

  /** Plain English-like text of exactly {@code bytes} bytes. */
  private static String words(int bytes) {
    String[] words = {
      "the",
      "quick",
      "brown",
      "fox",
      "jumps",
      "over",
      "a",
      "lazy",
      "dog",
      "while",
      "features",
      "are",
      "stored"
    };
    StringBuilder s = new StringBuilder(bytes);
    for (int i = 0; s.length() < bytes; i++) {
      s.append(words[i % words.length]).append(' ');
    }
    s.setLength(bytes);
    s.setCharAt(bytes - 1, '.');
    return s.toString();
  }

  private static byte[] concat(byte[]... parts) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    for (byte[] part : parts) {
      out.writeBytes(part);
    }
    return out.toByteArray();
  }

  private static byte[] utf8(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }
}
