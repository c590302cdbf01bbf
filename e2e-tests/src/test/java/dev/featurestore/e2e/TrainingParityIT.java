package dev.featurestore.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import dev.featurestore.iceberg.FeatureTable;
import dev.featurestore.training.Datasets;
import dev.featurestore.training.TrainingSet;
import dev.featurestore.training.testing.ParquetFiles;
import dev.featurestore.training.testing.SparkRecipe;
import java.io.IOException;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.apache.iceberg.Table;
import org.apache.iceberg.catalog.Catalog;
import org.apache.iceberg.data.Record;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;

/**
 * Training equals serving: one id written, rewritten, deleted and re-created through Kafka, with
 * the HTTP API's answer sampled between those events; then the JVM training set, the Spark recipe
 * of docs/TRAINING.md (Spark local, through {@code ./featurestore spark-sql}) and those answers
 * must be equal bit for bit, absent rows included, and a dataset read by both gives the same rows.
 */
class TrainingParityIT {

  private static final Duration SERVED_WITHIN = Duration.ofSeconds(60);

  private static LocalSuite suite;

  @BeforeAll
  static void startEverything() throws IOException {
    suite = LocalSuite.sharedLikeCompose();
  }

  /** What the API answered for an entity row's id at its time: null when it answered 404. */
  private record Sample(String label, String docId, Instant at, float[] served) {}

  @Test
  void theJvmTrainingSetTheSparkRecipeAndTheApiAgreeBitForBit() throws Exception {
    String suffix = UUID.randomUUID().toString().substring(0, 8);
    String id = "parity-" + suffix;
    String dataset = "parity-" + suffix;
    List<Sample> samples = new ArrayList<>();
    samples.add(sample("before its first write", id));

    send(id, "The first version: a note about the weather.");
    float[] v1 = awaitServedOtherThan(id, null);
    samples.add(sample("written", id));
    send(id, "A rewrite: the note is now about football.");
    awaitServedOtherThan(id, v1);
    samples.add(sample("rewritten", id));
    try (Tables tables = new Tables()) {
      new Datasets(tables.table()).create(dataset, null, null);
    }
    send(id, null);
    awaitNotServed(id);
    samples.add(sample("deleted", id));
    send(id, "Re-created after its deletion, about cooking.");
    awaitServedOtherThan(id, null);
    samples.add(sample("re-created", id));
    samples.add(sample("never written", "never-" + suffix));

    Path work = Files.createTempDirectory(Path.of("target"), "parity-");
    Path entities = work.resolve("labels.csv");
    StringBuilder csv = new StringBuilder("doc_id,timestamp,label\n");
    for (Sample s : samples) {
      csv.append(s.docId()).append(',').append(s.at()).append(',').append(s.label()).append('\n');
    }
    Files.writeString(entities, csv);

    Map<String, Record> jvm;
    Map<String, Record> jvmDataset;
    try (Tables tables = new Tables()) {
      jvm =
          byLabel(
              ParquetFiles.read(
                  write(TrainingSet.of(tables.table()), entities, work.resolve("jvm.parquet"))));
      jvmDataset =
          byLabel(
              ParquetFiles.read(
                  write(
                      TrainingSet.of(tables.table()).dataset(dataset),
                      entities,
                      work.resolve("jvm-dataset.parquet"))));
    }
    Path sparkOut = work.resolve("spark");
    Path sparkDatasetOut = work.resolve("spark-dataset");
    SparkRecipe.run(
        work,
        SparkRecipe.recipe(entities, sparkOut, null)
            + "\n"
            + SparkRecipe.recipe(entities, sparkDatasetOut, dataset),
        suite.catalog.resolvedProperties(suite.stateDir));
    Map<String, Record> spark = byLabel(ParquetFiles.read(sparkOut));
    Map<String, Record> sparkDataset = byLabel(ParquetFiles.read(sparkDatasetOut));

    for (Sample s : samples) {
      assertThat(found(jvm.get(s.label()))).as("JVM, %s", s.label()).isEqualTo(s.served() != null);
      assertThat(embedding(jvm.get(s.label())))
          .as("JVM and the API, %s", s.label())
          .isEqualTo(s.served());
      assertThat(found(spark.get(s.label())))
          .as("Spark, %s", s.label())
          .isEqualTo(s.served() != null);
      assertThat(embedding(spark.get(s.label())))
          .as("Spark and the API, %s", s.label())
          .isEqualTo(s.served());
      assertThat(embedding(sparkDataset.get(s.label())))
          .as("the dataset, Spark and the JVM, %s", s.label())
          .isEqualTo(embedding(jvmDataset.get(s.label())));
      assertThat(found(sparkDataset.get(s.label()))).isEqualTo(found(jvmDataset.get(s.label())));
    }
    // the dataset reads the same after compaction, snapshot expiry and more writes
    send(id, "Written after the dataset was read once.");
    awaitServedOtherThan(id, samples.get(4).served());
    assertThat(suite.maintain("{\"expireOlderThan\":\"0s\"}").statusCode()).isEqualTo(200);
    try (Tables tables = new Tables()) {
      assertThat(
              ParquetFiles.read(
                  write(
                      TrainingSet.of(tables.table()).dataset(dataset),
                      entities,
                      work.resolve("jvm-dataset-again.parquet"))))
          .as("the dataset's rows after maintenance, bit for bit")
          .isEqualTo(List.copyOf(jvmDataset.values()));
    }
    assertThat(found(jvmDataset.get("re-created")))
        .as("the dataset was pinned before the deletion: it still has the rewrite")
        .isTrue();
    assertThat(embedding(jvmDataset.get("re-created"))).isEqualTo(samples.get(2).served());
  }

  /** The API's answer now, and the time it stood for; asked twice so the time is inside it. */
  private static Sample sample(String label, String docId) throws Exception {
    float[] before = served(docId);
    Thread.sleep(50);
    Instant at = Instant.now();
    Thread.sleep(50);
    float[] after = served(docId);
    assertThat(after)
        .as("the API's answer for %s did not move around %s", docId, at)
        .isEqualTo(before);
    return new Sample(label, docId, at, after);
  }

  private static float[] served(String docId) throws Exception {
    HttpResponse<String> response = suite.get(docId);
    if (response.statusCode() == 404) {
      return null;
    }
    assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
    JsonNode values = LocalSuite.JSON.readTree(response.body()).get("embedding");
    float[] embedding = new float[values.size()];
    for (int i = 0; i < embedding.length; i++) {
      embedding[i] = Float.parseFloat(values.get(i).asString());
    }
    return embedding;
  }

  private static float[] awaitServedOtherThan(String docId, float[] previous) throws Exception {
    long deadline = System.nanoTime() + SERVED_WITHIN.toNanos();
    while (System.nanoTime() < deadline) {
      float[] now = served(docId);
      if (now != null && !Arrays.equals(now, previous)) {
        return now;
      }
      Thread.sleep(50);
    }
    throw new AssertionError(docId + " was not served anew within " + SERVED_WITHIN);
  }

  private static void awaitNotServed(String docId) throws Exception {
    long deadline = System.nanoTime() + SERVED_WITHIN.toNanos();
    while (System.nanoTime() < deadline) {
      if (served(docId) == null) {
        return;
      }
      Thread.sleep(50);
    }
    throw new AssertionError(docId + " was still served " + SERVED_WITHIN + " after its deletion");
  }

  private static void send(String docId, String text) throws Exception {
    byte[] value = text == null ? null : LocalSuite.document(docId, text);
    suite.producer.send(new ProducerRecord<>("documents", docId, value)).get(30, TimeUnit.SECONDS);
  }

  private static Path write(TrainingSet trainingSet, Path entities, Path out) {
    trainingSet.write(entities, out);
    return out;
  }

  private static Map<String, Record> byLabel(List<Record> rows) {
    Map<String, Record> byLabel = new LinkedHashMap<>();
    rows.forEach(row -> byLabel.put(row.getField("label").toString(), row));
    return byLabel;
  }

  private static boolean found(Record row) {
    return Boolean.TRUE.equals(row.getField(TrainingSet.FOUND));
  }

  private static float[] embedding(Record row) {
    List<?> values = (List<?>) row.getField(FeatureTable.EMBEDDING);
    if (values == null) {
      return null;
    }
    float[] embedding = new float[values.size()];
    for (int i = 0; i < embedding.length; i++) {
      embedding[i] = (Float) values.get(i);
    }
    return embedding;
  }

  /** The suite's catalog and table, closed after use. */
  private static final class Tables implements AutoCloseable {
    private final Catalog catalog = suite.catalog.load(suite.stateDir);

    Table table() {
      return catalog.loadTable(FeatureTable.identifier(suite.catalog.table()));
    }

    @Override
    public void close() throws Exception {
      if (catalog instanceof AutoCloseable closeable) {
        closeable.close();
      }
    }
  }
}
