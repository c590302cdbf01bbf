package dev.featurestore.writer.ingest;

import static org.assertj.core.api.Assertions.assertThat;

import dev.featurestore.iceberg.CatalogSettings;
import dev.featurestore.iceberg.FeatureTable;
import dev.featurestore.writer.TestKafka;
import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.Future;
import org.apache.iceberg.Table;
import org.apache.iceberg.catalog.Catalog;
import org.apache.iceberg.data.IcebergGenerics;
import org.apache.iceberg.data.Record;
import org.apache.iceberg.io.CloseableIterable;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.kafka.test.EmbeddedKafkaKraftBroker;

/**
 * Fault injection: two writer processes in one consumer group share a 3-partition topic of good
 * documents, bad records, deletions and erasures (tombstones without and with the erasure header);
 * writers are killed with SIGKILL at random moments and restarted. Afterwards every good record is
 * in the table exactly once per Kafka offset (unless a later erasure removed its id's history; at
 * most once if a later deletion superseded it in the same commit), every deletion is a row exactly
 * once and its id's newest row, every bad record is in the dead-letter topic exactly once with its
 * exact key bytes (some keys are not UTF-8), and every erased id is absent.
 *
 * <p>Size with {@code -Dsoak.records=N -Dsoak.kills=K} ({@code scripts/soak-writer.sh}).
 */
class ExactlyOnceIT {

  private static final Logger LOG = LoggerFactory.getLogger(ExactlyOnceIT.class);
  private static final String TOPIC = "documents";
  private static final String DLQ = "documents.dlq";
  private static final int PARTITIONS = 3;
  private static final int RECORDS = Integer.getInteger("soak.records", 10_000);
  private static final int KILLS = Integer.getInteger("soak.kills", 6);
  private static final Duration DRAIN_TIMEOUT =
      Duration.ofMinutes(Integer.getInteger("soak.drain.minutes", 10));

  private EmbeddedKafkaKraftBroker kafka;
  private final List<Process> writers = new ArrayList<>();
  private Path stateDir;

  /** What was produced, by (partition, offset). */
  private final Map<TopicPartition, Map<Long, Produced>> produced = new HashMap<>();

  /** {@code key}: the record key's bytes (a bad record's key is not always UTF-8). */
  private record Produced(String docId, byte[] key, Kind kind) {}

  private enum Kind {
    GOOD,
    BAD,
    DELETION,
    ERASURE
  }

  @AfterEach
  void stopEverything() {
    writers.forEach(Process::destroyForcibly);
    if (kafka != null) {
      kafka.destroy();
    }
  }

  @Test
  void everyRecordLandsExactlyOnceAcrossKilledWriters() throws Exception {
    kafka = new EmbeddedKafkaKraftBroker(1, PARTITIONS, TOPIC, DLQ);
    kafka.brokerProperties(
        Map.of(
            "transaction.state.log.replication.factor", "1", "transaction.state.log.min.isr", "1"));
    kafka.afterPropertiesSet();
    stateDir = Files.createTempDirectory(Path.of("target"), "exactly-once-");

    produceMixedRecords(new Random(42));
    Random chaos = new Random(7);
    writers.add(startWriter(0));
    writers.add(startWriter(1));
    awaitFirstCommit();
    int killsMidStream = 0;
    for (int kill = 0; kill < KILLS; kill++) {
      // commits are fast (tens of ms): kill often enough that every kill lands while records still
      // flow
      Thread.sleep(2_000 + chaos.nextInt(3_000));
      int victim = chaos.nextInt(writers.size());
      OffsetLedger before = ledgerOrEmpty();
      if (isDrained(before)) {
        break;
      }
      LOG.info(
          "kill -9 writer {} (pid {}), table at {}",
          victim,
          writers.get(victim).pid(),
          before.nextOffsets());
      writers.get(victim).destroyForcibly().waitFor();
      killsMidStream++;
      writers.set(victim, startWriter(victim));
    }
    awaitDrained();
    assertThat(killsMidStream)
        .as("writers killed while records were still flowing")
        .isGreaterThanOrEqualTo(Math.min(KILLS, 5));
    writers.forEach(Process::destroyForcibly);

    verifyTable();
    verifyDeadLetters();
  }

  private void produceMixedRecords(Random random) throws Exception {
    Properties config = new Properties();
    config.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.getBrokersAsString());
    config.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class);
    config.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class);
    config.put(ProducerConfig.ACKS_CONFIG, "all");
    List<String> live = new ArrayList<>();
    Set<String> erased = new HashSet<>();
    List<Future<RecordMetadata>> sends = new ArrayList<>();
    List<Produced> kinds = new ArrayList<>();
    String[] topics = {
      "weather", "football", "databases", "cooking", "music", "travel", "finance", "chess"
    };
    try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(config)) {
      for (int i = 0; i < RECORDS; i++) {
        int dice = random.nextInt(100);
        String id;
        byte[] key;
        ProducerRecord<byte[], byte[]> record;
        Kind kind;
        if (dice < 8) {
          id = "bad-" + i;
          kind = Kind.BAD;
          String[] bad = {
            "{not json",
            "{\"doc_id\":\"" + id + "\"}",
            "{\"doc_id\":\"" + id + "\",\"text\":\"  \"}",
            "[1,2]",
            "{\"doc_id\":\"" + id + "\",\"text\":\"\u200b\"}"
          };
          // some bad records have a key that is not UTF-8: its dead letter must keep the exact
          // bytes
          key = random.nextInt(4) == 0 ? concat(new byte[] {(byte) 0xFF}, utf8(id)) : utf8(id);
          record =
              new ProducerRecord<>(
                  TOPIC, key, bad[random.nextInt(bad.length)].getBytes(StandardCharsets.UTF_8));
        } else if (dice < 13 && !live.isEmpty()) {
          id = live.remove(random.nextInt(live.size()));
          erased.add(id);
          kind = random.nextBoolean() ? Kind.DELETION : Kind.ERASURE;
          key = utf8(id);
          record = new ProducerRecord<>(TOPIC, key, null);
          if (kind == Kind.ERASURE) {
            record.headers().add(DocumentParser.ERASURE_HEADER, utf8("true"));
          }
        } else {
          // a quarter of the good records update an id seen before
          id = dice < 30 && !live.isEmpty() ? live.get(random.nextInt(live.size())) : "doc-" + i;
          if (!live.contains(id)) {
            live.add(id);
          }
          kind = Kind.GOOD;
          String text =
              "Document "
                  + i
                  + " is about "
                  + topics[random.nextInt(topics.length)]
                  + " and "
                  + topics[random.nextInt(topics.length)]
                  + ".";
          key = utf8(id);
          record =
              new ProducerRecord<>(
                  TOPIC,
                  key,
                  ("{\"doc_id\":\"" + id + "\",\"text\":\"" + text + "\"}")
                      .getBytes(StandardCharsets.UTF_8));
        }
        sends.add(producer.send(record));
        kinds.add(new Produced(id, key, kind));
      }
      producer.flush();
      for (int i = 0; i < sends.size(); i++) {
        RecordMetadata metadata = sends.get(i).get();
        produced
            .computeIfAbsent(new TopicPartition(TOPIC, metadata.partition()), p -> new HashMap<>())
            .put(metadata.offset(), kinds.get(i));
      }
    }
    assertThat(erased)
        .as("the generator never re-uses an erased id")
        .doesNotContainAnyElementsOf(live);
  }

  private Process startWriter(int index) throws IOException {
    String javaBin =
        System.getProperty("java.home") + File.separator + "bin" + File.separator + "java";
    List<String> command =
        List.of(
            javaBin,
            "-Xmx384m",
            "-XX:+UseSerialGC",
            "-Dai.djl.offline=true",
            "-DOPT_OUT_TRACKING=true",
            "-Djava.io.tmpdir=" + Path.of("target").toAbsolutePath(),
            "-DDJL_CACHE_DIR=" + Path.of("target", "djl-cache").toAbsolutePath(),
            "-cp",
            System.getProperty("java.class.path"),
            "dev.featurestore.writer.WriterApplication",
            "--server.port=0",
            "--featurestore.state-dir=" + stateDir.toAbsolutePath(),
            "--featurestore.embedding.cache-dir="
                + Path.of("target", "model-cache").toAbsolutePath(),
            "--featurestore.embedding.intra-op-threads=1",
            "--spring.kafka.bootstrap-servers=" + kafka.getBrokersAsString(),
            // short sessions so that a killed writer's partitions move on quickly
            "--spring.kafka.consumer.properties.session.timeout.ms=6000",
            "--spring.kafka.consumer.properties.heartbeat.interval.ms=1000",
            "--spring.kafka.consumer.max-poll-records=64");
    Path log = Path.of("target", "exactly-once-writer-" + index + ".log");
    return new ProcessBuilder(command)
        .redirectErrorStream(true)
        .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()))
        .start();
  }

  private Table table() {
    CatalogSettings settings = CatalogSettings.defaults();
    Catalog catalog = settings.load(stateDir);
    return FeatureTable.createOrLoad(catalog, FeatureTable.identifier(settings.table()));
  }

  private OffsetLedger ledgerOrEmpty() {
    try {
      Table table = table();
      return OffsetLedger.read(table, "featurestore-writer");
    } catch (RuntimeException e) {
      return OffsetLedger.empty("featurestore-writer");
    }
  }

  private void awaitFirstCommit() throws InterruptedException {
    long deadline = System.nanoTime() + Duration.ofMinutes(2).toNanos();
    while (ledgerOrEmpty().nextOffsets().isEmpty()) {
      assertThat(System.nanoTime())
          .as("a first batch committed within 2 minutes")
          .isLessThan(deadline);
      Thread.sleep(200);
    }
  }

  private boolean isDrained(OffsetLedger ledger) {
    return produced.entrySet().stream()
        .allMatch(
            e -> {
              long end =
                  e.getValue().keySet().stream().mapToLong(Long::longValue).max().orElse(-1) + 1;
              Long next = ledger.next(e.getKey());
              return next != null && next >= end;
            });
  }

  private void awaitDrained() throws InterruptedException {
    long deadline = System.nanoTime() + DRAIN_TIMEOUT.toNanos();
    OffsetLedger ledger = ledgerOrEmpty();
    while (System.nanoTime() < deadline) {
      ledger = ledgerOrEmpty();
      if (isDrained(ledger)) {
        LOG.info("Drained: ledger {}", ledger);
        return;
      }
      Thread.sleep(1000);
    }
    throw new AssertionError(
        "Writers did not drain the topic within " + DRAIN_TIMEOUT + ": ledger " + ledger);
  }

  private void verifyTable() throws IOException {
    Map<TopicPartition, Map<Long, Integer>> rowsPerOffset = new HashMap<>();
    Map<String, Record> newest = new HashMap<>();
    try (CloseableIterable<Record> rows = IcebergGenerics.read(table()).build()) {
      for (Record row : rows) {
        TopicPartition partition =
            new TopicPartition(
                (String) row.getField(FeatureTable.KAFKA_TOPIC),
                (Integer) row.getField(FeatureTable.KAFKA_PARTITION));
        rowsPerOffset
            .computeIfAbsent(partition, p -> new HashMap<>())
            .merge((Long) row.getField(FeatureTable.KAFKA_OFFSET), 1, Integer::sum);
        newest.merge(
            (String) row.getField(FeatureTable.DOC_ID),
            row,
            (a, b) ->
                (Long) a.getField(FeatureTable.KAFKA_OFFSET)
                        > (Long) b.getField(FeatureTable.KAFKA_OFFSET)
                    ? a
                    : b);
      }
    }
    Set<String> erased = new HashSet<>();
    Set<String> deleted = new HashSet<>();
    long expectedRows = 0;
    for (Map.Entry<TopicPartition, Map<Long, Produced>> partition : produced.entrySet()) {
      Map<Long, Integer> counts = rowsPerOffset.getOrDefault(partition.getKey(), Map.of());
      Map<String, Produced> lastEvent = new HashMap<>();
      partition
          .getValue()
          .forEach(
              (offset, record) -> {
                if (record.kind() == Kind.ERASURE) {
                  erased.add(record.docId());
                } else if (record.kind() == Kind.DELETION) {
                  deleted.add(record.docId());
                }
                if (record.kind() != Kind.BAD) {
                  lastEvent.merge(record.docId(), record, (a, b) -> b);
                }
              });
      for (Map.Entry<Long, Produced> record : partition.getValue().entrySet()) {
        long offset = record.getKey();
        Produced p = record.getValue();
        int rows = counts.getOrDefault(offset, 0);
        String what =
            String.format(
                "rows of %s offset %d (%s %s)", partition.getKey(), offset, p.kind(), p.docId());
        // an id gets no records after its tombstone, so its last event is the tombstone
        Kind fate = lastEvent.containsKey(p.docId()) ? lastEvent.get(p.docId()).kind() : null;
        if (p.kind() == Kind.BAD || p.kind() == Kind.ERASURE || fate == Kind.ERASURE) {
          assertThat(rows).as(what).isZero();
        } else if (p.kind() == Kind.GOOD && fate == Kind.DELETION) {
          assertThat(rows).as(what + ": superseded in its commit, or history").isBetween(0, 1);
          expectedRows += rows;
        } else {
          assertThat(rows).as(what).isEqualTo(1);
          expectedRows++;
        }
      }
      assertThat(counts.keySet())
          .as("rows from offsets never produced in %s", partition.getKey())
          .isSubsetOf(partition.getValue().keySet());
    }
    assertThat(newest.keySet()).as("erased ids are absent").doesNotContainAnyElementsOf(erased);
    for (String id : deleted) {
      assertThat(newest.get(id).getField(FeatureTable.DELETED))
          .as("the newest row of deleted %s", id)
          .isEqualTo(true);
    }
    LOG.info(
        "Table verified: {} rows, {} deleted ids kept as history, {} erased ids absent",
        expectedRows,
        deleted.size(),
        erased.size());
  }

  private void verifyDeadLetters() {
    Map<String, Integer> seen = new HashMap<>();
    for (ConsumerRecord<byte[], byte[]> record : TestKafka.readCommitted(kafka, DLQ, PARTITIONS)) {
      String source =
          header(record, DeadLetterChannel.HEADER_SOURCE_PARTITION)
              + "@"
              + header(record, DeadLetterChannel.HEADER_SOURCE_OFFSET);
      assertThat(header(record, DeadLetterChannel.HEADER_ERROR_CODE)).isNotBlank();
      int sourcePartition =
          Integer.parseInt(header(record, DeadLetterChannel.HEADER_SOURCE_PARTITION));
      Produced original =
          produced
              .get(new TopicPartition(TOPIC, sourcePartition))
              .get(Long.parseLong(header(record, DeadLetterChannel.HEADER_SOURCE_OFFSET)));
      assertThat(record.key())
          .as("the dead letter's key bytes, %s", source)
          .isEqualTo(original.key());
      seen.merge(source, 1, Integer::sum);
    }
    Set<String> expected = new HashSet<>();
    produced.forEach(
        (partition, records) ->
            records.forEach(
                (offset, record) -> {
                  if (record.kind() == Kind.BAD) {
                    expected.add(partition.partition() + "@" + offset);
                  }
                }));
    assertThat(seen.keySet()).as("dead-lettered source records").isEqualTo(expected);
    assertThat(seen.values()).as("each dead letter exactly once").allMatch(count -> count == 1);
    LOG.info("Dead letters verified: {} records, each once", expected.size());
  }

  private static String header(ConsumerRecord<byte[], byte[]> record, String name) {
    return new String(record.headers().lastHeader(name).value(), StandardCharsets.UTF_8);
  }

  private static byte[] utf8(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  private static byte[] concat(byte[] a, byte[] b) {
    byte[] joined = Arrays.copyOf(a, a.length + b.length);
    System.arraycopy(b, 0, joined, a.length, b.length);
    return joined;
  }
}
