package dev.featurestore.writer;

import java.util.Map;
import java.util.Properties;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.springframework.kafka.test.EmbeddedKafkaKraftBroker;

/** The writer tests' Kafka: an embedded KRaft broker with the writer's topics, and a producer for it. */
public final class TestKafka {

  private TestKafka() {}

  /** One broker, {@code documents} and {@code documents.dlq} with 3 partitions each; stop it with {@code destroy()}. */
  public static EmbeddedKafkaKraftBroker start() {
    EmbeddedKafkaKraftBroker kafka = new EmbeddedKafkaKraftBroker(1, 3, "documents", "documents.dlq");
    // a single broker: the writer's transactional dead-letter producers need a replication factor it can meet
    kafka.brokerProperties(Map.of("transaction.state.log.replication.factor", "1", "transaction.state.log.min.isr", "1"));
    kafka.afterPropertiesSet();
    return kafka;
  }

  public static KafkaProducer<String, byte[]> producer(EmbeddedKafkaKraftBroker kafka) {
    Properties config = new Properties();
    config.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.getBrokersAsString());
    config.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class);
    config.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class);
    // send at once: benchmarks time single records from the send
    config.put(ProducerConfig.LINGER_MS_CONFIG, 0);
    return new KafkaProducer<>(config);
  }

  /** A producer of raw key bytes (null, empty, not UTF-8: whatever a client may send), sending at once. */
  public static KafkaProducer<byte[], byte[]> rawProducer(EmbeddedKafkaKraftBroker kafka) {
    Properties config = new Properties();
    config.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.getBrokersAsString());
    config.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class);
    config.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class);
    config.put(ProducerConfig.ACKS_CONFIG, "all");
    config.put(ProducerConfig.LINGER_MS_CONFIG, 0);
    return new KafkaProducer<>(config);
  }

  /** A transactional producer ({@code initTransactions()} before use). */
  public static KafkaProducer<String, byte[]> transactionalProducer(EmbeddedKafkaKraftBroker kafka, String transactionalId) {
    Properties config = new Properties();
    config.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.getBrokersAsString());
    config.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class);
    config.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class);
    config.put(ProducerConfig.TRANSACTIONAL_ID_CONFIG, transactionalId);
    return new KafkaProducer<>(config);
  }
}
