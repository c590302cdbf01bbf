package dev.featurestore.writer.ingest;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/**
 * The dead-letter topic, written so that every rejected record lands there exactly once, across
 * crashes and rebalances.
 *
 * <ul>
 *   <li>Each source partition has its own transactional producer ({@code transactional.id} derived
 *       from group, topic and partition). Opening it when the partition is assigned fences any
 *       zombie that still holds it: the zombie's pending dead letters are aborted and it can commit
 *       no more.
 *   <li>Dead letters of a batch are committed in one Kafka transaction before the batch's Iceberg
 *       commit. If the writer dies in between, the batch is replayed; {@link #alreadyDeadLettered}
 *       reads the dead-letter partition (read_committed) from the position the table last recorded
 *       and tells which source offsets are already there, so they are not sent twice.
 * </ul>
 *
 * A dead letter keeps the record's key and value, byte for byte, and its headers, and adds headers
 * after them naming the error code, a readable message, and the source topic, partition and offset
 * (readers take the last header of each name). It goes to the dead-letter partition with the
 * source's number (modulo the dead-letter partition count), so one scan covers one source
 * partition.
 */
public final class DeadLetterChannel implements AutoCloseable {

  public static final String HEADER_ERROR_CODE = "featurestore.error.code";
  public static final String HEADER_ERROR_MESSAGE = "featurestore.error.message";
  public static final String HEADER_SOURCE_TOPIC = "featurestore.source.topic";
  public static final String HEADER_SOURCE_PARTITION = "featurestore.source.partition";
  public static final String HEADER_SOURCE_OFFSET = "featurestore.source.offset";

  /** A record and why it was rejected. */
  record DeadLetter(ConsumerRecord<byte[], byte[]> source, Rejection rejection) {}

  private final Map<String, Object> producerConfig;
  private final Map<String, Object> consumerConfig;
  private final String topic;
  private final String group;
  private final Map<TopicPartition, KafkaProducer<byte[], byte[]>> producers =
      new java.util.concurrent.ConcurrentHashMap<>();
  private volatile int deadLetterPartitions;

  DeadLetterChannel(
      Map<String, Object> producerConfig,
      Map<String, Object> consumerConfig,
      String topic,
      String group) {
    this.producerConfig = new HashMap<>(producerConfig);
    this.producerConfig.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class);
    this.producerConfig.put(
        ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class);
    this.producerConfig.put(ProducerConfig.ACKS_CONFIG, "all");
    this.producerConfig.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
    this.consumerConfig = new HashMap<>(consumerConfig);
    this.consumerConfig.put(
        ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class);
    this.consumerConfig.put(
        ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class);
    this.consumerConfig.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
    this.consumerConfig.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
    this.consumerConfig.remove(ConsumerConfig.GROUP_ID_CONFIG);
    this.topic = topic;
    this.group = group;
  }

  /** The dead-letter partition that holds the dead letters of {@code source}. */
  TopicPartition deadLetterPartition(TopicPartition source) {
    return new TopicPartition(topic, source.partition() % deadLetterPartitions());
  }

  /** Takes ownership of a source partition's dead letters, fencing any previous owner. */
  void open(TopicPartition source) {
    close(source);
    Map<String, Object> config = new HashMap<>(producerConfig);
    config.put(
        ProducerConfig.TRANSACTIONAL_ID_CONFIG,
        "featurestore-dlq-" + group + "-" + source.topic() + "-" + source.partition());
    config.put(
        ProducerConfig.CLIENT_ID_CONFIG,
        "featurestore-dlq-" + source.topic() + "-" + source.partition());
    KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(config);
    producer.initTransactions();
    producers.put(source, producer);
  }

  void close(TopicPartition source) {
    KafkaProducer<byte[], byte[]> producer = producers.remove(source);
    if (producer != null) {
      producer.close(Duration.ofSeconds(5));
    }
  }

  /**
   * Commits the dead letters of one source partition in one transaction; returns the dead-letter
   * partition's next offset after them.
   */
  long publish(TopicPartition source, List<DeadLetter> letters) {
    KafkaProducer<byte[], byte[]> producer = producers.get(source);
    if (producer == null) {
      throw new IllegalStateException(
          "Dead letters of " + source + " are not owned by this writer");
    }
    TopicPartition target = deadLetterPartition(source);
    producer.beginTransaction();
    try {
      Future<RecordMetadata> last = null;
      for (DeadLetter letter : letters) {
        last = producer.send(toProducerRecord(target, letter));
      }
      producer.commitTransaction();
      return last.get().offset() + 1;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("Interrupted while dead-lettering " + source, e);
    } catch (ExecutionException | RuntimeException e) {
      // a fenced or broken producer cannot be reused; the next attempt reopens it
      close(source);
      throw new IllegalStateException(
          "Cannot dead-letter records of " + source + ": " + e.getMessage(), e);
    }
  }

  /**
   * The offsets of {@code source} at or after {@code fromSourceOffset} that are already in the
   * dead-letter topic, reading its partition from {@code fromDeadLetterOffset} (null: from the
   * beginning) to its end.
   */
  Set<Long> alreadyDeadLettered(
      TopicPartition source, Long fromDeadLetterOffset, long fromSourceOffset) {
    TopicPartition partition = deadLetterPartition(source);
    Set<Long> offsets = new HashSet<>();
    try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(consumerConfig)) {
      consumer.assign(List.of(partition));
      if (fromDeadLetterOffset == null) {
        consumer.seekToBeginning(List.of(partition));
      } else {
        consumer.seek(partition, fromDeadLetterOffset);
      }
      long end = consumer.endOffsets(List.of(partition)).get(partition);
      long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
      while (consumer.position(partition) < end) {
        if (System.nanoTime() > deadline) {
          throw new IllegalStateException(
              "Cannot read " + partition + " up to offset " + end + " within 60 s");
        }
        for (ConsumerRecord<byte[], byte[]> record : consumer.poll(Duration.ofMillis(200))) {
          Long offset = sourceOffset(record.headers(), source);
          if (offset != null && offset >= fromSourceOffset) {
            offsets.add(offset);
          }
        }
      }
    }
    return offsets;
  }

  private int deadLetterPartitions() {
    if (deadLetterPartitions == 0) {
      try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(consumerConfig)) {
        deadLetterPartitions = consumer.partitionsFor(topic, Duration.ofSeconds(30)).size();
      }
    }
    return deadLetterPartitions;
  }

  /**
   * The dead letter of a record: its exact key and value bytes, its headers (copied, in order),
   * then ours, so that {@code lastHeader} reads ours even if the producer sent headers of the same
   * names.
   */
  static ProducerRecord<byte[], byte[]> toProducerRecord(TopicPartition target, DeadLetter letter) {
    ConsumerRecord<byte[], byte[]> source = letter.source();
    // the constructor copies the headers: the source record's stay as they are
    ProducerRecord<byte[], byte[]> record =
        new ProducerRecord<>(
            target.topic(),
            target.partition(),
            null,
            source.key(),
            source.value(),
            source.headers());
    record.headers().add(HEADER_ERROR_CODE, utf8(letter.rejection().code().name()));
    record.headers().add(HEADER_ERROR_MESSAGE, utf8(letter.rejection().message()));
    record.headers().add(HEADER_SOURCE_TOPIC, utf8(source.topic()));
    record.headers().add(HEADER_SOURCE_PARTITION, utf8(Integer.toString(source.partition())));
    record.headers().add(HEADER_SOURCE_OFFSET, utf8(Long.toString(source.offset())));
    return record;
  }

  /**
   * The offset of {@code source} that a dead letter stands for, from our headers (the last of each
   * name: a producer's headers of the same names come first), or null if it is not one of {@code
   * source}'s dead letters.
   */
  static Long sourceOffset(Headers headers, TopicPartition source) {
    if (!source.topic().equals(header(headers, HEADER_SOURCE_TOPIC))
        || !Integer.toString(source.partition()).equals(header(headers, HEADER_SOURCE_PARTITION))) {
      return null;
    }
    String offset = header(headers, HEADER_SOURCE_OFFSET);
    try {
      return offset == null ? null : Long.valueOf(offset);
    } catch (NumberFormatException e) {
      return null; // not written by a writer
    }
  }

  private static String header(Headers headers, String name) {
    Header header = headers.lastHeader(name);
    return header == null || header.value() == null
        ? null
        : new String(header.value(), StandardCharsets.UTF_8);
  }

  private static byte[] utf8(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  @Override
  public void close() {
    List.copyOf(producers.keySet()).forEach(this::close);
  }
}
