package dev.featurestore.writer.ingest;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.time.Duration;
import java.time.Instant;

/**
 * The writer's pipeline meters (docs/METRICS.md), registered once; the lag gauge reads {@link
 * ConsumerLag}.
 */
final class IngestMetrics {

  private final MeterRegistry meters;
  private final Counter recordsIn;
  private final Counter rowsCommitted;
  private final Counter tombstonesCommitted;
  private final Counter batchFailures;
  private final DistributionSummary batchSize;
  private final Timer freshness;

  IngestMetrics(MeterRegistry meters, String topic, ConsumerLag lag) {
    this.meters = meters;
    this.recordsIn = meters.counter("featurestore.writer.records.in");
    this.rowsCommitted = meters.counter("featurestore.writer.rows.committed");
    this.tombstonesCommitted = meters.counter("featurestore.writer.tombstones.committed");
    this.batchFailures = meters.counter("featurestore.writer.batch.failures");
    this.batchSize =
        DistributionSummary.builder("featurestore.writer.batch.size")
            .baseUnit("records")
            .register(meters);
    this.freshness =
        Timer.builder("featurestore.writer.freshness")
            .description("Iceberg commit time minus Kafka record time, per committed row")
            // buckets, so dashboards take quantiles over any window and across writers; the
            // freshness targets
            // (p50 0.5 s, p99 1.5 s) are bucket bounds, so their quantiles are exact there
            .publishPercentileHistogram()
            .serviceLevelObjectives(Duration.ofMillis(500), Duration.ofMillis(1500))
            .minimumExpectedValue(Duration.ofMillis(10))
            .maximumExpectedValue(Duration.ofMinutes(10))
            .register(meters);
    Gauge.builder("featurestore.writer.consumer.lag", lag, ConsumerLag::total)
        .description(
            "Records in the topic's partitions this writer owns that are not committed to the table yet")
        .baseUnit("records")
        .tag("topic", topic)
        .register(meters);
  }

  MeterRegistry registry() {
    return meters;
  }

  /** One poll's records, before validation. */
  void polled(int records) {
    recordsIn.increment(records);
    batchSize.record(records);
  }

  void batchFailed() {
    batchFailures.increment();
  }

  /** One partition's slice is in the table as of {@code committedAt}. */
  void committed(PreparedBatch.Slice slice, Instant committedAt) {
    int deletions = (int) slice.rows().stream().filter(row -> row.row().deleted()).count();
    rowsCommitted.increment(slice.rows().size() - deletions);
    tombstonesCommitted.increment(deletions + slice.erasures().size());
    slice
        .deadLetters()
        .forEach(
            letter ->
                meters
                    .counter(
                        "featurestore.writer.records.dead.lettered",
                        "reason",
                        letter.rejection().code().name())
                    .increment());
    slice
        .rows()
        .forEach(row -> freshness.record(Duration.between(row.row().eventTime(), committedAt)));
  }
}
