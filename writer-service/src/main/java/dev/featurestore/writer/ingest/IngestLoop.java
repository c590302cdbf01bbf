package dev.featurestore.writer.ingest;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.binder.kafka.KafkaClientMetrics;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.apache.kafka.clients.consumer.ConsumerRebalanceListener;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.context.SmartLifecycle;

/**
 * The writer's consumer loop, on one thread: poll, prepare, dead-letter, commit to the table, repeat.
 *
 * <p>The table, not Kafka, says where each partition resumes: on assignment the loop seeks every partition to the
 * offset in the table's {@link OffsetLedger} (Kafka's committed offsets are written too, after each table commit,
 * but only for lag monitoring). A slice the committer fences off is rewound to where the table says it ends. A
 * batch that fails (catalog or broker down) is rewound and retried with back-off: the writer stalls, visibly, but
 * never skips a record. Polling, embedding and committing share the thread, so a batch in flight is never
 * revoked under its feet, and back-pressure is natural: nothing is fetched while a batch is processed.
 */
public final class IngestLoop implements SmartLifecycle {

  private static final Logger LOG = LoggerFactory.getLogger(IngestLoop.class);

  private final Supplier<KafkaConsumer<String, byte[]>> consumers;
  private final String topic;
  private final BatchPreparer preparer;
  private final DeadLetterChannel deadLetters;
  private final BatchCommitter committer;
  private final MeterRegistry meters;
  private final Counter recordsIn;
  private final Counter rowsCommitted;
  private final Counter tombstonesCommitted;
  private final Counter batchFailures;
  private final DistributionSummary batchSize;
  private final Timer freshness;

  private final Map<TopicPartition, Long> positions = new HashMap<>();
  private final Map<TopicPartition, Set<Long>> alreadyDeadLettered = new HashMap<>();
  private final Set<TopicPartition> pendingInit = new HashSet<>();
  private volatile boolean running;
  private volatile KafkaConsumer<String, byte[]> consumer;
  private volatile Instant lastBatchCommitted;
  private volatile String lastError;
  private int consecutiveFailures;
  private Thread thread;
  private CountDownLatch stopped;

  IngestLoop(
      Supplier<KafkaConsumer<String, byte[]>> consumers,
      String topic,
      BatchPreparer preparer,
      DeadLetterChannel deadLetters,
      BatchCommitter committer,
      MeterRegistry meters) {
    this.consumers = consumers;
    this.topic = topic;
    this.preparer = preparer;
    this.deadLetters = deadLetters;
    this.committer = committer;
    this.meters = meters;
    this.recordsIn = meters.counter("featurestore.writer.records.in");
    this.rowsCommitted = meters.counter("featurestore.writer.rows.committed");
    this.tombstonesCommitted = meters.counter("featurestore.writer.tombstones.committed");
    this.batchFailures = meters.counter("featurestore.writer.batch.failures");
    this.batchSize = DistributionSummary.builder("featurestore.writer.batch.size").baseUnit("records").register(meters);
    this.freshness =
        Timer.builder("featurestore.writer.freshness")
            .description("processing time minus Kafka record time, per committed row")
            .publishPercentiles(0.5, 0.99)
            .register(meters);
  }

  @Override
  public synchronized void start() {
    running = true;
    stopped = new CountDownLatch(1);
    thread = new Thread(this::run, "featurestore-ingest");
    thread.start();
  }

  @Override
  public void stop() {
    running = false;
    KafkaConsumer<String, byte[]> current = consumer;
    if (current != null) {
      current.wakeup();
    }
    try {
      // the batch in flight is finished and committed before the consumer leaves the group
      if (stopped != null && !stopped.await(60, TimeUnit.SECONDS)) {
        LOG.warn("Ingest loop did not stop within 60 s");
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  @Override
  public boolean isRunning() {
    return running;
  }

  /** When the last batch was committed (null: none yet), and the last failure (null: the last batch succeeded). */
  public Instant lastBatchCommitted() {
    return lastBatchCommitted;
  }

  public String lastError() {
    return lastError;
  }

  public boolean isAlive() {
    return thread != null && thread.isAlive();
  }

  private void run() {
    try (KafkaConsumer<String, byte[]> kafka = consumers.get();
        KafkaClientMetrics metrics = new KafkaClientMetrics(kafka)) {
      consumer = kafka;
      metrics.bindTo(meters);
      kafka.subscribe(List.of(topic), new Rebalance());
      while (running) {
        try {
          resumeFromLedger(kafka);
          ConsumerRecords<String, byte[]> records = kafka.poll(Duration.ofMillis(200));
          if (!records.isEmpty()) {
            processOrRewind(kafka, records);
          }
        } catch (WakeupException e) {
          break;
        } catch (RuntimeException e) {
          lastError = e.toString();
          LOG.warn("Ingest loop error; retrying in 1 s: {}", e.toString());
          sleep(1000);
        }
      }
    } catch (RuntimeException e) {
      lastError = e.toString();
      LOG.error("Ingest loop stopped", e);
    } finally {
      deadLetters.close();
      consumer = null;
      stopped.countDown();
    }
  }

  /**
   * Newly assigned partitions stay paused until they are positioned where the table's ledger says they end, their
   * dead-letter producer has fenced any previous owner, and the dead letters already sent past that point are
   * known. Done here rather than in the rebalance callback so that a failure (broker or catalog down) is retried,
   * not fatal.
   */
  private void resumeFromLedger(KafkaConsumer<String, byte[]> kafka) {
    pendingInit.retainAll(kafka.assignment());
    if (pendingInit.isEmpty()) {
      return;
    }
    OffsetLedger ledger = committer.ledger();
    for (TopicPartition partition : List.copyOf(pendingInit)) {
      deadLetters.open(partition);
      Long next = ledger.next(partition);
      if (next != null) {
        kafka.seek(partition, next);
      } else {
        kafka.seekToBeginning(List.of(partition));
      }
      long position = kafka.position(partition);
      Long deadLetterFrom = ledger.deadLetterNext(deadLetters.deadLetterPartition(partition));
      alreadyDeadLettered.put(partition, new HashSet<>(deadLetters.alreadyDeadLettered(partition, deadLetterFrom, position)));
      positions.put(partition, position);
      pendingInit.remove(partition);
      kafka.resume(List.of(partition));
      LOG.info("{} resumes at offset {} (table ledger)", partition, position);
    }
  }

  /**
   * Processes one poll. On failure the batch is rewound and the loop goes back to polling after a back-off, rather
   * than retrying in place: the next poll re-reads ownership (a writer that lost a partition learns it there), and
   * the replayed records meet the same ledger and dead-letter checks.
   */
  private void processOrRewind(KafkaConsumer<String, byte[]> kafka, ConsumerRecords<String, byte[]> records) {
    List<BatchPreparer.PolledSlice> polled = new ArrayList<>();
    for (TopicPartition partition : records.partitions()) {
      List<ConsumerRecord<String, byte[]>> slice = records.records(partition);
      Long start = positions.get(partition);
      if (start == null) {
        // not positioned from the ledger (revoked and re-assigned within this poll): it will be, next iteration
        continue;
      }
      polled.add(new BatchPreparer.PolledSlice(partition, start, kafka.position(partition), slice));
    }
    if (polled.isEmpty()) {
      return;
    }
    recordsIn.increment(records.count());
    batchSize.record(records.count());
    try {
      ensureDeadLetterOwnership(polled);
      process(kafka, polled);
      lastError = null;
      consecutiveFailures = 0;
    } catch (RuntimeException e) {
      batchFailures.increment();
      lastError = e.toString();
      long backOffMillis = Math.min(500L << Math.min(consecutiveFailures, 6), 30_000);
      consecutiveFailures++;
      LOG.warn("Batch of {} records failed; replaying it in {} ms: {}", records.count(), backOffMillis, e.toString());
      rewind(kafka, polled);
      sleep(backOffMillis);
    }
  }

  private void process(KafkaConsumer<String, byte[]> kafka, List<BatchPreparer.PolledSlice> polled) {
    PreparedBatch batch = preparer.prepare(polled, alreadyDeadLettered);
    Map<TopicPartition, Long> deadLetterNext = new LinkedHashMap<>();
    for (PreparedBatch.Slice slice : batch.slices().values()) {
      if (!slice.deadLetters().isEmpty()) {
        long next = deadLetters.publish(slice.partition(), slice.deadLetters());
        deadLetterNext.merge(deadLetters.deadLetterPartition(slice.partition()), next, Math::max);
        Set<Long> done = alreadyDeadLettered.computeIfAbsent(slice.partition(), p -> new HashSet<>());
        slice.deadLetters().forEach(letter -> done.add(letter.source().offset()));
      }
    }
    BatchCommitter.Outcome outcome = committer.commit(batch, deadLetterNext);
    Map<TopicPartition, OffsetAndMetadata> kafkaOffsets = new HashMap<>();
    for (TopicPartition partition : outcome.committed()) {
      PreparedBatch.Slice slice = batch.slices().get(partition);
      positions.put(partition, slice.endOffset());
      Set<Long> done = alreadyDeadLettered.get(partition);
      if (done != null) {
        done.removeIf(offset -> offset < slice.endOffset());
      }
      kafkaOffsets.put(partition, new OffsetAndMetadata(slice.endOffset()));
      rowsCommitted.increment(slice.rows().size());
      tombstonesCommitted.increment(slice.tombstones().size());
      slice.deadLetters().forEach(
          letter -> meters.counter("featurestore.writer.records.dead.lettered", "reason", letter.rejection().code().name()).increment());
      slice.rows().forEach(row -> freshness.record(Duration.between(row.row().eventTime(), batch.processedAt())));
    }
    outcome.fencedAt().forEach(
        (partition, ledgerNext) -> {
          LOG.info("{} moved on in the table (next offset {}); dropping this writer's slice and resuming there", partition, ledgerNext);
          kafka.seek(partition, ledgerNext);
          positions.put(partition, ledgerNext);
        });
    if (!kafkaOffsets.isEmpty()) {
      lastBatchCommitted = Instant.now();
      kafka.commitAsync(kafkaOffsets, (offsets, e) -> {
        if (e != null) {
          LOG.debug("Kafka offset commit failed (monitoring only; the table is the source of truth): {}", e.toString());
        }
      });
    }
  }

  private void rewind(KafkaConsumer<String, byte[]> kafka, List<BatchPreparer.PolledSlice> polled) {
    for (BatchPreparer.PolledSlice slice : polled) {
      if (kafka.assignment().contains(slice.partition())) {
        kafka.seek(slice.partition(), slice.startOffset());
      }
    }
  }

  /** Dead-letter producers are opened on assignment; one that failed to open or broke is reopened here. */
  private void ensureDeadLetterOwnership(List<BatchPreparer.PolledSlice> polled) {
    for (BatchPreparer.PolledSlice slice : polled) {
      if (!deadLetters.owns(slice.partition())) {
        deadLetters.open(slice.partition());
      }
    }
  }

  private boolean sleep(long millis) {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    }
    return running;
  }

  /** Resume every assigned partition where the table says it ends; give up what was revoked. */
  private final class Rebalance implements ConsumerRebalanceListener {

    @Override
    public void onPartitionsAssigned(Collection<TopicPartition> partitions) {
      consumer.pause(partitions);
      pendingInit.addAll(partitions);
    }

    @Override
    public void onPartitionsRevoked(Collection<TopicPartition> partitions) {
      release(partitions);
    }

    @Override
    public void onPartitionsLost(Collection<TopicPartition> partitions) {
      release(partitions);
    }

    private void release(Collection<TopicPartition> partitions) {
      for (TopicPartition partition : partitions) {
        deadLetters.close(partition);
        positions.remove(partition);
        alreadyDeadLettered.remove(partition);
        pendingInit.remove(partition);
      }
    }
  }
}
