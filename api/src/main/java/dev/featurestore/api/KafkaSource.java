package dev.featurestore.api;

/** Where a row came from: one Kafka record. */
public record KafkaSource(String topic, int partition, long offset) {

  public KafkaSource {
    Preconditions.checkArgument(topic != null && !topic.isBlank(), "Invalid topic: %s", topic);
    Preconditions.checkArgument(partition >= 0, "Invalid partition: %s", partition);
    Preconditions.checkArgument(offset >= 0, "Invalid offset: %s", offset);
  }

  public static KafkaSource of(String topic, int partition, long offset) {
    return new KafkaSource(topic, partition, offset);
  }
}
