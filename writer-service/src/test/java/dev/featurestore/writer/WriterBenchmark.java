package dev.featurestore.writer;

import dev.featurestore.testing.BenchmarkReport;
import dev.featurestore.writer.embedding.SentenceEmbedder;
import dev.featurestore.writer.ingest.OffsetLedger;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.Future;
import org.apache.iceberg.Snapshot;
import org.apache.iceberg.Table;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.Test;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.kafka.test.EmbeddedKafkaKraftBroker;

/**
 * Writer throughput against raw model inference on the same texts in the same run, and freshness of
 * a lone document at low load. Run with {@code ./featurestore bench writer}; figures go to
 * docs/BENCHMARKS.md. No timing is asserted: this is a measurement, not a test.
 */
class WriterBenchmark {

  private static final int RECORDS = Integer.getInteger("bench.records", 4000);
  private static final int LONE_DOCUMENTS = Integer.getInteger("bench.lone", 20);
  private static final String GROUP = "featurestore-writer";

  @Test
  void writerThroughputAgainstRawInference() throws Exception {
    List<String> texts = texts(RECORDS, new Random(1));
    Path modelCache = Path.of("target", "model-cache");
    double rawBefore;
    double rawAfter;
    try (SentenceEmbedder raw =
        SentenceEmbedder.builder().cacheDir(modelCache).maxBatchSize(32).build()) {
      rawDocsPerSecond(raw, texts.subList(0, Math.min(256, texts.size()))); // warm-up
      rawBefore = rawDocsPerSecond(raw, texts);

      EmbeddedKafkaKraftBroker kafka = TestKafka.start();
      Path stateDir = Files.createTempDirectory(Path.of("target"), "bench-");
      try (KafkaProducer<String, byte[]> producer = TestKafka.producer(kafka)) {
        List<Future<RecordMetadata>> sent = new ArrayList<>(texts.size());
        for (int i = 0; i < texts.size(); i++) {
          sent.add(producer.send(record("bench-" + i, texts.get(i))));
        }
        producer.flush();
        for (Future<RecordMetadata> record : sent) {
          record.get();
        }
        ConfigurableApplicationContext writer =
            WriterApplication.builder()
                .run(
                    "--server.port=0",
                    "--featurestore.state-dir=" + stateDir.toAbsolutePath(),
                    "--featurestore.embedding.cache-dir=" + modelCache.toAbsolutePath(),
                    "--spring.kafka.bootstrap-servers=" + kafka.getBrokersAsString());
        try {
          Table table = writer.getBean(Table.class);
          awaitRows(table, texts.size());
          Throughput throughput = throughput(table);
          rawAfter = rawDocsPerSecond(raw, texts);
          double rawMean = (rawBefore + rawAfter) / 2;
          Duration quietSpell =
              writer.getBean(WriterProperties.class).writer().commitInterval().plusMillis(300);
          long[] freshness = loneDocumentFreshness(producer, table, quietSpell);
          report(rawBefore, rawAfter, rawMean, throughput, quietSpell, freshness);
        } finally {
          writer.close();
          kafka.destroy();
        }
      }
    }
  }

  private record Throughput(long rows, long commits, double seconds) {
    double docsPerSecond() {
      return rows / seconds;
    }
  }

  private static double rawDocsPerSecond(SentenceEmbedder embedder, List<String> texts) {
    long start = System.nanoTime();
    // the same call pattern as the writer: one call per poll of up to 512 records
    for (int i = 0; i < texts.size(); i += 512) {
      embedder.embed(texts.subList(i, Math.min(texts.size(), i + 512)));
    }
    return texts.size() / ((System.nanoTime() - start) / 1e9);
  }

  /**
   * Rows committed after the first commit, over the time from the first to the last commit: steady
   * state.
   */
  private static Throughput throughput(Table table) {
    List<Snapshot> snapshots = new ArrayList<>();
    table
        .snapshots()
        .forEach(
            s -> {
              if (s.summary().containsKey("featurestore.kafka.batch")) {
                snapshots.add(s);
              }
            });
    snapshots.sort((a, b) -> Long.compare(a.timestampMillis(), b.timestampMillis()));
    long rows = 0;
    for (int i = 1; i < snapshots.size(); i++) {
      rows += Long.parseLong(snapshots.get(i).summary().getOrDefault("added-records", "0"));
    }
    double seconds =
        (snapshots.get(snapshots.size() - 1).timestampMillis() - snapshots.get(0).timestampMillis())
            / 1000.0;
    return new Throughput(rows, snapshots.size(), seconds);
  }

  /**
   * A lone document arrives after a quiet spell longer than the commit interval, so pacing does not
   * hold it back: this is the latency of one commit, not of the pacing.
   */
  private static long[] loneDocumentFreshness(
      KafkaProducer<String, byte[]> producer, Table table, Duration quietSpell) throws Exception {
    long[] millis = new long[LONE_DOCUMENTS];
    for (int i = 0; i < LONE_DOCUMENTS; i++) {
      Thread.sleep(quietSpell.toMillis());
      RecordMetadata sent =
          producer
              .send(
                  record(
                      "lone-" + i, "A lone document number " + i + " arrives at a quiet moment."))
              .get();
      TopicPartition partition = new TopicPartition(sent.topic(), sent.partition());
      while (true) {
        table.refresh();
        Long next = OffsetLedger.read(table, GROUP).next(partition);
        if (next != null && next > sent.offset()) {
          millis[i] = table.currentSnapshot().timestampMillis() - sent.timestamp();
          break;
        }
        Thread.sleep(5);
      }
    }
    Arrays.sort(millis);
    return millis;
  }

  private static void awaitRows(Table table, long rows) throws InterruptedException {
    long deadline = System.nanoTime() + 30L * 60 * 1_000_000_000L;
    while (System.nanoTime() < deadline) {
      table.refresh();
      Snapshot current = table.currentSnapshot();
      if (current != null
          && Long.parseLong(current.summary().getOrDefault("total-records", "0")) >= rows) {
        return;
      }
      Thread.sleep(200);
    }
    throw new AssertionError("writer did not commit " + rows + " rows within 30 minutes");
  }

  private static void report(
      double rawBefore,
      double rawAfter,
      double rawMean,
      Throughput throughput,
      Duration quietSpell,
      long[] freshness) {
    String body =
        String.format(
            """
            ## Writer throughput and freshness (`./featurestore bench writer`)

            %d documents (~15-word sentences) through Kafka (embedded KRaft broker, 3 partitions) into the Iceberg
            table by one writer (ONNX Runtime, default threads, polls of up to 512 records), against raw
            `SentenceEmbedder` inference on the same texts in the same JVM, before and after. Lone documents
            are sent one at a time, each after a quiet spell of %d ms (longer than the commit interval, so
            pacing does not hold them back).

            | measure | value |
            |---|---|
            | raw model inference, before | %.0f docs/s |
            | raw model inference, after | %.0f docs/s |
            | writer, steady state (Kafka -> validated, embedded, committed) | %.0f docs/s (%d rows in %d commits, %.1f s) |
            | **writer / raw (mean of before and after)** | **%.1f %%** (target >= 90 %%) |
            | lone document, Kafka timestamp -> Iceberg commit, p50 | %d ms |
            | lone document, max of %d | %d ms |
            """,
            RECORDS,
            quietSpell.toMillis(),
            rawBefore,
            rawAfter,
            throughput.docsPerSecond(),
            throughput.rows(),
            throughput.commits(),
            throughput.seconds(),
            100 * throughput.docsPerSecond() / rawMean,
            freshness[freshness.length / 2],
            freshness.length,
            freshness[freshness.length - 1]);
    BenchmarkReport.record("writer", body);
  }

  private static List<String> texts(int count, Random random) {
    String[] subjects = {
      "The committee",
      "A young engineer",
      "Our new model",
      "The river",
      "An old library",
      "The market",
      "A quiet village",
      "The orchestra"
    };
    String[] verbs = {
      "approved",
      "studied",
      "predicted",
      "crossed",
      "preserved",
      "reacted to",
      "celebrated",
      "rehearsed"
    };
    String[] objects = {
      "the annual budget",
      "sparse matrices",
      "tomorrow's weather",
      "the northern valley",
      "rare manuscripts",
      "rising interest rates",
      "the harvest festival",
      "a difficult symphony"
    };
    String[] tails = {
      "after a long debate.",
      "with great care.",
      "before anyone expected it.",
      "despite the heavy rain.",
      "for the third time this year.",
      "in front of a large audience."
    };
    List<String> texts = new ArrayList<>(count);
    for (int i = 0; i < count; i++) {
      texts.add(
          subjects[random.nextInt(subjects.length)]
              + " "
              + verbs[random.nextInt(verbs.length)]
              + " "
              + objects[random.nextInt(objects.length)]
              + " "
              + tails[random.nextInt(tails.length)]);
    }
    return texts;
  }

  private static ProducerRecord<String, byte[]> record(String id, String text) {
    return new ProducerRecord<>(
        "documents",
        id,
        ("{\"doc_id\":\"" + id + "\",\"text\":\"" + text + "\"}").getBytes(StandardCharsets.UTF_8));
  }
}
