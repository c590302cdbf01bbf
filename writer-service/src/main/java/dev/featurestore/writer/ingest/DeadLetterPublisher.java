package dev.featurestore.writer.ingest;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.springframework.kafka.core.KafkaTemplate;
import org.springframework.kafka.support.SendResult;

/**
 * Sends records that cannot be processed to the dead-letter topic: same key and value bytes, plus headers that
 * name the error code, a readable message and where the record came from. Waits for the broker's acknowledgement
 * before the batch's offsets are committed, so a rejected record is never silently dropped.
 */
public final class DeadLetterPublisher {

  public static final String HEADER_ERROR_CODE = "featurestore.error.code";
  public static final String HEADER_ERROR_MESSAGE = "featurestore.error.message";
  public static final String HEADER_SOURCE_TOPIC = "featurestore.source.topic";
  public static final String HEADER_SOURCE_PARTITION = "featurestore.source.partition";
  public static final String HEADER_SOURCE_OFFSET = "featurestore.source.offset";

  private final KafkaTemplate<String, byte[]> template;
  private final String topic;

  public DeadLetterPublisher(KafkaTemplate<String, byte[]> template, String topic) {
    this.template = template;
    this.topic = topic;
  }

  public String topic() {
    return topic;
  }

  /** A record and why it was rejected. */
  public record DeadLetter(ConsumerRecord<String, byte[]> source, Rejection rejection) {}

  public void publish(List<DeadLetter> letters) {
    List<CompletableFuture<SendResult<String, byte[]>>> sends = new ArrayList<>(letters.size());
    for (DeadLetter letter : letters) {
      sends.add(template.send(toProducerRecord(letter)));
    }
    for (CompletableFuture<SendResult<String, byte[]>> send : sends) {
      try {
        send.get(30, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException("Interrupted while publishing to " + topic, e);
      } catch (ExecutionException | TimeoutException e) {
        throw new IllegalStateException("Cannot publish to dead-letter topic " + topic, e);
      }
    }
  }

  private ProducerRecord<String, byte[]> toProducerRecord(DeadLetter letter) {
    ConsumerRecord<String, byte[]> source = letter.source();
    ProducerRecord<String, byte[]> record = new ProducerRecord<>(topic, source.key(), source.value());
    record.headers().add(HEADER_ERROR_CODE, utf8(letter.rejection().code().name()));
    record.headers().add(HEADER_ERROR_MESSAGE, utf8(letter.rejection().message()));
    record.headers().add(HEADER_SOURCE_TOPIC, utf8(source.topic()));
    record.headers().add(HEADER_SOURCE_PARTITION, utf8(Integer.toString(source.partition())));
    record.headers().add(HEADER_SOURCE_OFFSET, utf8(Long.toString(source.offset())));
    return record;
  }

  private static byte[] utf8(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }
}
