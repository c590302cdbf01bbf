package dev.featurestore.writer.ingest;

import dev.featurestore.api.Preconditions;
import dev.featurestore.writer.embedding.Embedder;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Clock;
import java.util.HashMap;
import java.util.Map;
import org.apache.iceberg.Table;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

/**
 * Assembles the writer's ingest pipeline: {@code Ingestion.builder()...build()} gives a ready
 * {@link IngestLoop}.
 */
public final class Ingestion {

  private Ingestion() {}

  public static Builder builder() {
    return new Builder();
  }

  public static final class Builder {
    private Table table;
    private Table ledgerTable;
    private Embedder embedder;
    private Map<String, Object> consumerConfig = Map.of();
    private Map<String, Object> producerConfig = Map.of();
    private String topic = "documents";
    private String deadLetterTopic = "documents.dlq";
    private String consumerGroup = "featurestore-writer";
    private int maxTextBytes = 65536;
    private CommitPacing pacing = CommitPacing.DEFAULT;
    private MeterRegistry meters;
    private Clock clock = Clock.systemUTC();

    public Builder table(Table value) {
      this.table = value;
      return this;
    }

    /**
     * A second instance of the table for the consumer thread (Iceberg tables are not thread-safe).
     */
    public Builder ledgerTable(Table value) {
      this.ledgerTable = value;
      return this;
    }

    public Builder embedder(Embedder value) {
      this.embedder = value;
      return this;
    }

    public Builder consumerConfig(Map<String, Object> value) {
      this.consumerConfig = value;
      return this;
    }

    public Builder producerConfig(Map<String, Object> value) {
      this.producerConfig = value;
      return this;
    }

    public Builder topic(String value) {
      this.topic = value;
      return this;
    }

    public Builder deadLetterTopic(String value) {
      this.deadLetterTopic = value;
      return this;
    }

    public Builder consumerGroup(String value) {
      this.consumerGroup = value;
      return this;
    }

    public Builder maxTextBytes(int value) {
      this.maxTextBytes = value;
      return this;
    }

    /** When batches are committed: see {@link CommitPacing}. */
    public Builder pacing(CommitPacing value) {
      this.pacing = value;
      return this;
    }

    public Builder meters(MeterRegistry value) {
      this.meters = value;
      return this;
    }

    public Builder clock(Clock value) {
      this.clock = value;
      return this;
    }

    public IngestLoop build() {
      Preconditions.checkArgument(table != null, "Invalid ingestion: no table");
      Preconditions.checkArgument(embedder != null, "Invalid ingestion: no embedder");
      Preconditions.checkArgument(meters != null, "Invalid ingestion: no meter registry");
      Map<String, Object> consumer = new HashMap<>(consumerConfig);
      consumer.put(ConsumerConfig.GROUP_ID_CONFIG, consumerGroup);
      consumer.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class);
      consumer.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class);
      consumer.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
      // transactional producers may write the topic: never read what they aborted
      consumer.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
      BatchPreparer preparer =
          new BatchPreparer(
              new DocumentParser(maxTextBytes),
              embedder,
              clock,
              meters.timer("featurestore.writer.embed.time"));
      DeadLetterChannel deadLetters =
          new DeadLetterChannel(producerConfig, consumerConfig, deadLetterTopic, consumerGroup);
      BatchCommitter committer = new BatchCommitter(table, consumerGroup, meters);
      return new IngestLoop(
          () -> new KafkaConsumer<>(consumer),
          topic,
          preparer,
          deadLetters,
          committer,
          ledgerTable != null ? ledgerTable : table,
          consumerGroup,
          pacing,
          meters);
    }
  }
}
