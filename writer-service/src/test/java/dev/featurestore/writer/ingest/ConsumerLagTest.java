package dev.featurestore.writer.ingest;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.Test;

class ConsumerLagTest {

  private static final TopicPartition P0 = new TopicPartition("documents", 0);
  private static final TopicPartition P1 = new TopicPartition("documents", 1);

  @Test
  void countsFromWhatTheTableHoldsNotFromWhatWasFetched() {
    ConsumerLag lag = new ConsumerLag();
    lag.resumed(P0, 100);
    lag.resumed(P1, 0);
    assertThat(lag.total()).isZero();

    lag.logEnd(P0, 150);
    lag.logEnd(P1, 10);
    assertThat(lag.total()).isEqualTo(60);

    // fetched up to 150 but only 120 committed: 30 records are still on their way to the table
    lag.committed(Map.of(P0, new OffsetAndMetadata(120)));
    assertThat(lag.total()).isEqualTo(40);

    // an older commit reported late does not move the table back
    lag.committed(Map.of(P0, new OffsetAndMetadata(110), P1, new OffsetAndMetadata(10)));
    assertThat(lag.total()).isEqualTo(30);
  }

  @Test
  void forgetsReleasedPartitionsAndIgnoresOnesItDoesNotOwn() {
    ConsumerLag lag = new ConsumerLag();
    lag.resumed(P0, 5);
    lag.logEnd(P0, 25);
    lag.logEnd(P1, 1_000);
    lag.committed(Map.of(P1, new OffsetAndMetadata(3)));
    assertThat(lag.total()).isEqualTo(20);

    lag.released(List.of(P0));
    assertThat(lag.total()).isZero();
  }

  @Test
  void anEstimateStandsInUntilTheTablesOwnPositionIsKnown() {
    ConsumerLag lag = new ConsumerLag();
    assertThat(lag.unknown(java.util.Set.of(P0, P1))).containsExactlyInAnyOrder(P0, P1);
    lag.estimated(P0, 40);
    lag.logEnd(P0, 100);
    assertThat(lag.unknown(java.util.Set.of(P0, P1))).containsExactly(P1);
    assertThat(lag.total()).isEqualTo(60);

    lag.resumed(P0, 50);
    lag.estimated(P0, 0);
    assertThat(lag.total()).as("the table's position wins over an estimate").isEqualTo(50);
  }

  @Test
  void offsetsWithoutRecordsCountAsDoneOnceTheWriterIsDrained() {
    ConsumerLag lag = new ConsumerLag();
    lag.resumed(P0, 10);
    // offsets 10 and 11 are an aborted record and its transaction marker: the consumer moves past
    // them, no commit does
    lag.logEnd(P0, 12);
    assertThat(lag.total()).isEqualTo(2);
    lag.drained(P0, 12);
    assertThat(lag.total()).isZero();
    lag.drained(P0, 11);
    assertThat(lag.total()).as("never backwards").isZero();
    lag.drained(P1, 5);
    assertThat(lag.unknown(java.util.Set.of(P1))).as("only owned partitions").containsExactly(P1);
  }
}
