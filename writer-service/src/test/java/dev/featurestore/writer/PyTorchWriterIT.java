package dev.featurestore.writer;

import static org.assertj.core.api.Assertions.assertThat;

import dev.featurestore.api.Embeddings;
import dev.featurestore.iceberg.FeatureTable;
import dev.featurestore.writer.embedding.EmbeddingEngine;
import dev.featurestore.writer.embedding.SentenceEmbedder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.iceberg.Table;
import org.apache.iceberg.data.IcebergGenerics;
import org.apache.iceberg.data.Record;
import org.apache.iceberg.io.CloseableIterable;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.Test;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.kafka.test.EmbeddedKafkaKraftBroker;

/**
 * The writer configured with {@code featurestore.embedding.engine=pytorch} embeds Kafka documents
 * on PyTorch and writes rows that carry the bundled model's identity and the vectors ONNX Runtime
 * gives for the same texts.
 */
class PyTorchWriterIT {

  private static final List<String> TEXTS =
      List.of("A man is eating food.", "Ein Mann isst.", "SELECT 1;", "🚀");

  @Test
  void theWriterOnPyTorchWritesTheSameFeaturesAsOnOnnxRuntime() throws Exception {
    Path modelCache = Path.of("target", "model-cache").toAbsolutePath();
    EmbeddedKafkaKraftBroker kafka = TestKafka.start();
    Path stateDir = Files.createTempDirectory(Path.of("target"), "pytorch-writer-");
    ConfigurableApplicationContext writer = null;
    try (KafkaProducer<String, byte[]> producer = TestKafka.producer(kafka);
        SentenceEmbedder onnx = SentenceEmbedder.builder().cacheDir(modelCache).build()) {
      for (int i = 0; i < TEXTS.size(); i++) {
        String json = "{\"doc_id\":\"doc-" + i + "\",\"text\":\"" + TEXTS.get(i) + "\"}";
        producer
            .send(
                new ProducerRecord<>(
                    "documents", "doc-" + i, json.getBytes(StandardCharsets.UTF_8)))
            .get();
      }
      writer =
          WriterApplication.builder()
              .run(
                  "--server.port=0",
                  "--featurestore.state-dir=" + stateDir.toAbsolutePath(),
                  "--featurestore.embedding.cache-dir=" + modelCache,
                  "--featurestore.embedding.engine=pytorch",
                  "--spring.kafka.bootstrap-servers=" + kafka.getBrokersAsString());
      assertThat(writer.getBean(SentenceEmbedder.class).engine())
          .isEqualTo(EmbeddingEngine.PYTORCH);

      Map<String, Record> rows = awaitRows(writer.getBean(Table.class), TEXTS.size());
      List<float[]> expected = onnx.embed(TEXTS);
      for (int i = 0; i < TEXTS.size(); i++) {
        Record row = rows.get("doc-" + i);
        assertThat(row.getField(FeatureTable.MODEL_NAME)).isEqualTo(onnx.model().name());
        assertThat(row.getField(FeatureTable.MODEL_DIGEST)).isEqualTo(onnx.model().digest());
        @SuppressWarnings("unchecked")
        List<Float> embedding = (List<Float>) row.getField(FeatureTable.EMBEDDING);
        float[] vector = new float[embedding.size()];
        for (int d = 0; d < vector.length; d++) {
          vector[d] = embedding.get(d);
        }
        assertThat(1 - Embeddings.cosine(vector, expected.get(i))).isLessThan(1e-6);
      }
    } finally {
      if (writer != null) {
        writer.close();
      }
      kafka.destroy();
    }
  }

  private static Map<String, Record> awaitRows(Table table, int count) throws Exception {
    long deadline = System.nanoTime() + 120_000_000_000L;
    Map<String, Record> rows = new HashMap<>();
    while (rows.size() < count && System.nanoTime() < deadline) {
      Thread.sleep(200);
      table.refresh();
      if (table.currentSnapshot() == null) {
        continue;
      }
      try (CloseableIterable<Record> records = IcebergGenerics.read(table).build()) {
        records.forEach(
            record -> rows.put((String) record.getField(FeatureTable.DOC_ID), record.copy()));
      }
    }
    assertThat(rows).as("rows written within 2 minutes").hasSize(count);
    return rows;
  }
}
