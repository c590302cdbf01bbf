package dev.featurestore.writer.ingest;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.internals.RecordHeader;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.common.record.TimestampType;
import org.junit.jupiter.api.Test;

class DeadLetterChannelTest {

  private static final TopicPartition DLQ0 = new TopicPartition("documents.dlq", 0);

  @Test
  void producerHeadersAreCopiedAndOursComeLast() {
    RecordHeaders headers = new RecordHeaders();
    headers.add("trace-id", utf8("abc"));
    headers.add("trace-id", utf8("def"));
    headers.add("empty", null);
    headers.add(DeadLetterChannel.HEADER_SOURCE_OFFSET, utf8("999999"));
    headers.add(DeadLetterChannel.HEADER_ERROR_CODE, utf8("FAKE"));
    ConsumerRecord<byte[], byte[]> source = record(7, headers);

    ProducerRecord<byte[], byte[]> letter =
        DeadLetterChannel.toProducerRecord(
            DLQ0,
            new DeadLetterChannel.DeadLetter(source, Rejection.of(Rejection.Code.NOT_JSON, "bad")));

    List<Header> all = new ArrayList<>();
    letter.headers().forEach(all::add);
    assertThat(all).hasSize(5 + 5);
    assertThat(all.subList(0, 5)).containsExactlyElementsOf(headers);
    assertThat(all.subList(5, 10))
        .extracting(Header::key)
        .containsExactly(
            DeadLetterChannel.HEADER_ERROR_CODE,
            DeadLetterChannel.HEADER_ERROR_MESSAGE,
            DeadLetterChannel.HEADER_SOURCE_TOPIC,
            DeadLetterChannel.HEADER_SOURCE_PARTITION,
            DeadLetterChannel.HEADER_SOURCE_OFFSET);
    assertThat(text(letter.headers().lastHeader(DeadLetterChannel.HEADER_ERROR_CODE)))
        .isEqualTo("NOT_JSON");
    assertThat(text(letter.headers().lastHeader(DeadLetterChannel.HEADER_SOURCE_OFFSET)))
        .isEqualTo("7");
    // the source record's headers are not changed
    assertThat(source.headers().toArray()).hasSize(5);
    assertThat(letter.key()).containsExactly('k', (byte) 0xFF);
    assertThat(letter.value()).isEqualTo(source.value());
  }

  @Test
  void theReplayCheckReadsOurHeadersNotTheProducersCopies() {
    RecordHeaders headers = new RecordHeaders();
    headers.add(DeadLetterChannel.HEADER_SOURCE_TOPIC, utf8("documents"));
    headers.add(DeadLetterChannel.HEADER_SOURCE_PARTITION, utf8("2"));
    headers.add(DeadLetterChannel.HEADER_SOURCE_OFFSET, utf8("999999"));
    ConsumerRecord<byte[], byte[]> source = record(7, headers);
    ProducerRecord<byte[], byte[]> letter =
        DeadLetterChannel.toProducerRecord(
            DLQ0,
            new DeadLetterChannel.DeadLetter(source, Rejection.of(Rejection.Code.NOT_JSON, "bad")));

    assertThat(DeadLetterChannel.sourceOffset(letter.headers(), new TopicPartition("documents", 0)))
        .isEqualTo(7L);
    assertThat(DeadLetterChannel.sourceOffset(letter.headers(), new TopicPartition("documents", 2)))
        .isNull();
    assertThat(DeadLetterChannel.sourceOffset(letter.headers(), new TopicPartition("other", 0)))
        .isNull();
  }

  @Test
  void theReplayCheckSkipsRecordsThatAreNotOurDeadLetters() {
    RecordHeaders headers = new RecordHeaders();
    assertThat(DeadLetterChannel.sourceOffset(headers, new TopicPartition("documents", 0)))
        .isNull();
    headers.add(DeadLetterChannel.HEADER_SOURCE_TOPIC, utf8("documents"));
    headers.add(DeadLetterChannel.HEADER_SOURCE_PARTITION, utf8("0"));
    assertThat(DeadLetterChannel.sourceOffset(headers, new TopicPartition("documents", 0)))
        .isNull();
    headers.add(DeadLetterChannel.HEADER_SOURCE_OFFSET, utf8("not a number"));
    assertThat(DeadLetterChannel.sourceOffset(headers, new TopicPartition("documents", 0)))
        .isNull();
    headers.add(new RecordHeader(DeadLetterChannel.HEADER_SOURCE_OFFSET, null));
    assertThat(DeadLetterChannel.sourceOffset(headers, new TopicPartition("documents", 0)))
        .isNull();
  }

  private static ConsumerRecord<byte[], byte[]> record(long offset, RecordHeaders headers) {
    return new ConsumerRecord<>(
        "documents",
        0,
        offset,
        0L,
        TimestampType.CREATE_TIME,
        0,
        0,
        new byte[] {'k', (byte) 0xFF},
        utf8("{oops"),
        headers,
        Optional.empty());
  }

  private static String text(Header header) {
    return new String(header.value(), StandardCharsets.UTF_8);
  }

  private static byte[] utf8(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }
}
