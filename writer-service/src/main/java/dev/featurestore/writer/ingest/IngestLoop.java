package dev.featurestore.writer.ingest;

import dev.featurestore.api.FeatureRow;
import dev.featurestore.api.KafkaSource;
import dev.featurestore.api.Timestamps;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.kafka.KafkaClientMetrics;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Supplier;
import org.apache.iceberg.Table;
import org.apache.kafka.clients.consumer.ConsumerRebalanceListener;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.context.SmartLifecycle;

/**
 * The writer's pipeline: a consumer thread polls, validates and embeds batch N+1 while a
 * single-thread commit executor dead-letters and commits batch N. At most one batch is in flight
 * (its future) and one waits, so memory is bounded and a slow commit simply delays the next
 * hand-off (back-pressure; the consumer's fetch buffer is bounded by {@code fetch.max.bytes}). This
 * class coordinates; validation and embedding are {@link BatchPreparer}'s, the commit {@link
 * BatchCommitter}'s, the meters {@link IngestMetrics}' and the lag {@link ConsumerLag}'s.
 *
 * <p>Commits are paced ({@link CommitPacing}): a prepared batch waits until the interval since the
 * previous commit has passed (or it reaches the size bound) and while the committer is busy; newly
 * prepared batches join it (group commit), so at a steady rate each commit carries everything that
 * arrived during one interval.
 *
 * <p>The table, not Kafka, says where each partition resumes: newly assigned partitions are paused
 * until they are positioned at the offset in the table's {@link OffsetLedger}. The consumer thread
 * chains each batch's start to the previous batch's end; if a batch fails or is fenced, the ones
 * behind it no longer start where the table ends, so the committer fences them too, and the
 * consumer thread rewinds every affected partition to the ledger. A failure therefore never skips a
 * record: the writer replays from the table's truth, after a back-off (the partitions stay paused
 * meanwhile; the others go on). Kafka's committed offsets are written after each table commit, for
 * lag monitoring only.
 */
public final class IngestLoop implements SmartLifecycle {

  private static final Logger LOG = LoggerFactory.getLogger(IngestLoop.class);
  private static final Duration LOG_END_REFRESH = Duration.ofSeconds(5);
  // short: these calls run on the poll thread, and a slow broker must not hold up commits for long
  private static final Duration LOG_END_TIMEOUT = Duration.ofMillis(500);

  private final Supplier<KafkaConsumer<byte[], byte[]>> consumers;
  private final String topic;
  private final BatchPreparer preparer;
  private final DeadLetterChannel deadLetters;
  private final BatchCommitter committer;
  private final Table ledgerTable;
  private final String group;
  private final IngestMetrics metrics;
  private final ConsumerLag lag;
  private final CommitPacing pacing;
  private Instant lastStamp;

  // consumer thread only
  private final Map<TopicPartition, Long> positions = new HashMap<>();
  private final Map<TopicPartition, Long> resumedAt = new HashMap<>();
  private final Set<TopicPartition> pendingInit = ConcurrentHashMap.newKeySet();
  private int consecutiveFailures;
  // partitions waiting in pendingInit are re-read from the ledger no earlier than this (a failed
  // batch's back-off)
  private long ledgerRetryAtNanos = System.nanoTime();
  // the batch prepared and waiting for its commit, and the one being committed (null: the committer
  // is idle)
  private PreparedBatch pending;
  private CompletableFuture<Result> inFlight;
  private long lastHandOffNanos = System.nanoTime() - TimeUnit.DAYS.toNanos(1);
  // shared with the commit executor
  private final Map<TopicPartition, Set<Long>> alreadyDeadLettered = new ConcurrentHashMap<>();

  private volatile boolean running;
  private volatile boolean assignedOnce;
  private volatile KafkaConsumer<byte[], byte[]> consumer;
  private volatile Instant lastBatchCommitted;
  private volatile String lastError;
  // an error of the loop itself (ledger, dead-letter producers, broker), cleared by the next pass
  // that succeeds
  private volatile String loopError;
  private long nextLogEndRefresh;
  private ExecutorService pollExecutor;
  private ExecutorService commitExecutor;
  private Future<?> polling;

  /**
   * What the commit executor made of a batch: its outcome and the Kafka offsets to mirror, or its
   * failure.
   */
  private record Result(
      PreparedBatch batch,
      BatchCommitter.Outcome outcome,
      Map<TopicPartition, OffsetAndMetadata> kafkaOffsets,
      RuntimeException failure) {

    static Result failed(PreparedBatch batch, RuntimeException failure) {
      return new Result(batch, null, Map.of(), failure);
    }
  }

  IngestLoop(
      Supplier<KafkaConsumer<byte[], byte[]>> consumers,
      String topic,
      BatchPreparer preparer,
      DeadLetterChannel deadLetters,
      BatchCommitter committer,
      Table ledgerTable,
      String group,
      CommitPacing pacing,
      MeterRegistry meters) {
    this.consumers = consumers;
    this.pacing = pacing;
    this.topic = topic;
    this.preparer = preparer;
    this.deadLetters = deadLetters;
    this.committer = committer;
    this.ledgerTable = ledgerTable;
    this.group = group;
    this.lag = new ConsumerLag();
    this.metrics = new IngestMetrics(meters, topic, lag);
  }

  @Override
  public synchronized void start() {
    warmUp();
    running = true;
    commitExecutor =
        Executors.newSingleThreadExecutor(runnable -> new Thread(runnable, "featurestore-commit"));
    pollExecutor =
        Executors.newSingleThreadExecutor(runnable -> new Thread(runnable, "featurestore-ingest"));
    polling = pollExecutor.submit(this::pollLoop);
  }

  /**
   * The hot paths once before the first record: model inference and the commit path (see {@link
   * BatchCommitter#warmUp}), so the first documents after a start meet the same freshness as later
   * ones. Runs before the pipeline starts, so readiness waits for it; a failure (catalog down) is
   * logged and left to the first batch, which retries.
   */
  private void warmUp() {
    long started = System.nanoTime();
    try {
      FeatureRow row = preparer.warmUp();
      committer.warmUp(new PreparedBatch.SourcedRow(row, new KafkaSource(topic, 0, 0)));
      LOG.info(
          "Warmed up the model and the commit path in {} ms",
          TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started));
    } catch (RuntimeException e) {
      LOG.warn("Warm-up failed; the first batch will retry what failed: {}", e.toString());
    }
  }

  /**
   * True once the consumer has joined its group and positioned every partition it got at the
   * table's ledger.
   */
  public boolean isPositioned() {
    return assignedOnce && pendingInit.isEmpty();
  }

  @Override
  public void stop() {
    running = false;
    KafkaConsumer<byte[], byte[]> current = consumer;
    if (current != null) {
      current.wakeup();
    }
    if (polling == null) {
      return;
    }
    try {
      // batches in flight are committed before the consumer leaves the group
      polling.get(120, TimeUnit.SECONDS);
    } catch (TimeoutException e) {
      LOG.warn("Ingest pipeline did not stop within 120 s");
    } catch (ExecutionException e) {
      // pollLoop reports its own failures
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } finally {
      pollExecutor.shutdown();
    }
  }

  @Override
  public boolean isRunning() {
    return running;
  }

  /** When the last batch was committed (null: none yet). */
  public Instant lastBatchCommitted() {
    return lastBatchCommitted;
  }

  /** The last failure, or null when the last batch succeeded and the loop's last pass did too. */
  public String lastError() {
    String batchError = lastError;
    return batchError != null ? batchError : loopError;
  }

  public boolean isAlive() {
    return polling != null && !polling.isDone();
  }

  // ---------------------------------------------------------------------------------------------------------
  // consumer thread

  private void pollLoop() {
    try (KafkaConsumer<byte[], byte[]> kafka = consumers.get();
        KafkaClientMetrics kafkaMetrics = new KafkaClientMetrics(kafka)) {
      consumer = kafka;
      kafkaMetrics.bindTo(metrics.registry());
      kafka.subscribe(List.of(topic), new Rebalance());
      while (running) {
        try {
          refreshLogEnds(kafka);
          applyResults(kafka);
          resumeFromLedger(kafka);
          handOffPending(kafka, false);
          ConsumerRecords<byte[], byte[]> records =
              kafka.poll(Duration.ofMillis(pollTimeoutMillis()));
          if (!records.isEmpty()) {
            prepareAndHandOff(kafka, records);
          }
          // after the records just read are in a batch: only then does "nothing waiting" mean they
          // are in the table
          observeLogEnds(kafka);
          loopError = null;
        } catch (WakeupException e) {
          break;
        } catch (RuntimeException e) {
          loopError = e.toString();
          LOG.warn("Ingest loop error; retrying in 1 s: {}", e.toString());
          sleep(1000);
        }
      }
      handOffPending(kafka, true);
      awaitIdle();
      applyResults(kafka);
    } catch (RuntimeException e) {
      lastError = e.toString();
      LOG.error("Ingest loop stopped", e);
    } finally {
      shutDownCommits();
      consumer = null;
    }
  }

  /** The commit executor finishes what it holds; the dead-letter producers close after it. */
  private void shutDownCommits() {
    commitExecutor.shutdown();
    try {
      if (!commitExecutor.awaitTermination(120, TimeUnit.SECONDS)) {
        LOG.warn("The commit in flight did not end within 120 s");
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } finally {
      deadLetters.close();
    }
  }

  private void prepareAndHandOff(
      KafkaConsumer<byte[], byte[]> kafka, ConsumerRecords<byte[], byte[]> records) {
    List<BatchPreparer.PolledSlice> polled = new ArrayList<>();
    for (TopicPartition partition : records.partitions()) {
      Long start = positions.get(partition);
      if (start == null) {
        // assigned but not yet positioned from the ledger: it will be, and these records will come
        // again
        continue;
      }
      long end = kafka.position(partition);
      polled.add(
          new BatchPreparer.PolledSlice(
              partition, resumedAt.get(partition), start, end, records.records(partition)));
      // optimistic: the next batch starts where this one ends; if this one fails, the next is
      // fenced
      positions.put(partition, end);
    }
    if (polled.isEmpty()) {
      return;
    }
    metrics.polled(records.count());
    PreparedBatch batch;
    try {
      batch = preparer.prepare(polled, alreadyDeadLettered);
    } catch (RuntimeException e) {
      replayAfterFailure(
          kafka, polled.stream().map(BatchPreparer.PolledSlice::partition).toList(), e);
      return;
    }
    pending = pending == null ? batch : pending.followedBy(batch);
    handOffPending(kafka, pending.records() >= pacing.maxRecords());
  }

  /**
   * Come back when the waiting batch falls due, soon when it is due and waits for the committer.
   */
  private long pollTimeoutMillis() {
    if (pending == null) {
      return 200;
    }
    long since = System.nanoTime() - lastHandOffNanos;
    return pacing.due(pending.records(), since) ? 5 : Math.min(200, pacing.waitMillis(since));
  }

  /**
   * Group commit: a prepared batch waits until it is due ({@link CommitPacing}) and while the
   * committer is busy, and the next polls join it. Hands off when it is due and the committer is
   * idle, or, with {@code force}, at once, waiting for the batch in flight first (bounding the
   * batch).
   */
  private void handOffPending(KafkaConsumer<byte[], byte[]> kafka, boolean force) {
    if (pending == null
        || (!force && !pacing.due(pending.records(), System.nanoTime() - lastHandOffNanos))) {
      return;
    }
    if (inFlight != null) {
      if (!force && !inFlight.isDone()) {
        return;
      }
      awaitIdle();
      applyResults(kafka);
      if (inFlight != null || pending == null) {
        return;
      }
    }
    PreparedBatch batch = pending.restamped(nextStamp());
    pending = null;
    lastHandOffNanos = System.nanoTime();
    inFlight = CompletableFuture.supplyAsync(() -> commit(batch), commitExecutor);
  }

  /**
   * The processing time of the next commit: now, and always after the previous one, so that the
   * versions of a doc id are ordered by it even if the wall clock steps back.
   */
  private Instant nextStamp() {
    Instant now = Timestamps.truncate(Instant.now());
    lastStamp =
        lastStamp != null && !now.isAfter(lastStamp) ? lastStamp.plus(1, ChronoUnit.MICROS) : now;
    return lastStamp;
  }

  /**
   * Applies what the commit executor made of the batch in flight, once it is done: Kafka's offsets
   * follow the table, and positions of fenced or failed partitions go back to the ledger.
   */
  private void applyResults(KafkaConsumer<byte[], byte[]> kafka) {
    if (inFlight == null || !inFlight.isDone()) {
      return;
    }
    Result result = inFlight.join();
    inFlight = null;
    if (!result.kafkaOffsets().isEmpty()) {
      lag.committed(result.kafkaOffsets());
      kafka.commitAsync(
          result.kafkaOffsets(),
          (committed, e) -> {
            if (e != null) {
              LOG.debug(
                  "Kafka offset commit failed (monitoring only; the table is the source of truth): {}",
                  e.toString());
            }
          });
    }
    if (result.failure() != null) {
      replayAfterFailure(kafka, List.copyOf(result.batch().slices().keySet()), result.failure());
      return;
    }
    consecutiveFailures = 0;
    lastError = null;
    result
        .outcome()
        .fencedAt()
        .forEach(
            (partition, ledgerNext) -> {
              LOG.info(
                  "{}: the table ends at offset {}, not where this writer's batch started; resuming there",
                  partition,
                  ledgerNext);
              seek(kafka, partition, ledgerNext);
            });
  }

  /**
   * A failed batch's partitions start over from the table's truth: paused, re-positioned at the
   * ledger, their dead-letter producer reopened (which settles a transaction in doubt) and the
   * dead-letter topic re-read, after a back-off during which they stay paused while the other
   * partitions go on.
   */
  private void replayAfterFailure(
      KafkaConsumer<byte[], byte[]> kafka,
      List<TopicPartition> partitions,
      RuntimeException failure) {
    metrics.batchFailed();
    lastError = failure.toString();
    long backOffMillis = Math.min(500L << Math.min(consecutiveFailures, 6), 30_000);
    consecutiveFailures++;
    LOG.warn(
        "Batch failed; replaying {} from the table's ledger in {} ms: {}",
        partitions,
        backOffMillis,
        failure.toString());
    for (TopicPartition partition : partitions) {
      if (kafka.assignment().contains(partition)) {
        kafka.pause(List.of(partition));
        pendingInit.add(partition);
        deadLetters.close(partition);
      }
    }
    ledgerRetryAtNanos = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(backOffMillis);
  }

  private void seek(KafkaConsumer<byte[], byte[]> kafka, TopicPartition partition, long offset) {
    if (kafka.assignment().contains(partition) && !pendingInit.contains(partition)) {
      kafka.seek(partition, offset);
      positions.put(partition, offset);
    }
  }

  /**
   * Newly assigned partitions stay paused until they are positioned where the table's ledger says
   * they end, their dead-letter producer has fenced any previous owner, and the dead letters
   * already sent past that point are known. Done here rather than in the rebalance callback so that
   * a failure (broker or catalog down) is retried.
   */
  private void resumeFromLedger(KafkaConsumer<byte[], byte[]> kafka) {
    pendingInit.retainAll(kafka.assignment());
    if (pendingInit.isEmpty() || System.nanoTime() - ledgerRetryAtNanos < 0) {
      return;
    }
    ledgerTable.refresh();
    OffsetLedger ledger = OffsetLedger.read(ledgerTable, group);
    for (TopicPartition partition : List.copyOf(pendingInit)) {
      deadLetters.open(partition);
      Long next = ledger.next(partition);
      if (next != null) {
        kafka.seek(partition, next);
      } else {
        kafka.seekToBeginning(List.of(partition));
      }
      long position = kafka.position(partition);
      Long deadLetterFrom = ledger.deadLetterNext(partition);
      Set<Long> done = ConcurrentHashMap.newKeySet();
      done.addAll(deadLetters.alreadyDeadLettered(partition, deadLetterFrom, position));
      alreadyDeadLettered.put(partition, done);
      positions.put(partition, position);
      resumedAt.put(partition, position);
      lag.resumed(partition, position);
      pendingInit.remove(partition);
      kafka.resume(List.of(partition));
      LOG.info("{} resumes at offset {} (table ledger)", partition, position);
    }
  }

  /**
   * Every few seconds, where each owned partition's log ends, from the broker: unlike {@link
   * #observeLogEnds} this also covers partitions that are paused (a failed batch backing off) or
   * not yet positioned because the catalog cannot be read, so the lag keeps growing while the
   * writer cannot commit. For a partition not yet positioned from the table's ledger, the offsets
   * the writer commits to Kafka (which mirror the table's) stand in for it.
   */
  private void refreshLogEnds(KafkaConsumer<byte[], byte[]> kafka) {
    long now = System.nanoTime();
    if (now - nextLogEndRefresh < 0) {
      return;
    }
    nextLogEndRefresh = now + LOG_END_REFRESH.toNanos();
    Set<TopicPartition> owned = kafka.assignment();
    if (owned.isEmpty()) {
      return;
    }
    try {
      Set<TopicPartition> unpositioned = lag.unknown(owned);
      if (!unpositioned.isEmpty()) {
        Map<TopicPartition, OffsetAndMetadata> committed =
            kafka.committed(unpositioned, LOG_END_TIMEOUT);
        Map<TopicPartition, Long> beginnings =
            kafka.beginningOffsets(unpositioned, LOG_END_TIMEOUT);
        for (TopicPartition partition : unpositioned) {
          OffsetAndMetadata offset = committed.get(partition);
          lag.estimated(
              partition, offset != null ? offset.offset() : beginnings.getOrDefault(partition, 0L));
        }
      }
      kafka.endOffsets(owned, LOG_END_TIMEOUT).forEach(lag::logEnd);
    } catch (WakeupException e) {
      throw e;
    } catch (RuntimeException e) {
      LOG.debug(
          "Could not read the log ends of {} (the lag gauge keeps its last value): {}",
          owned,
          e.toString());
    }
  }

  /**
   * Where each positioned partition's log ends, from the last fetch (no request to the broker).
   * With nothing waiting or being committed, everything read is in the table: the position also
   * moves past offsets that hold no record (transaction markers, aborted records), which no commit
   * would ever move the table's position past.
   */
  private void observeLogEnds(KafkaConsumer<byte[], byte[]> kafka) {
    boolean drained = pending == null && inFlight == null;
    for (TopicPartition partition : positions.keySet()) {
      if (!pendingInit.contains(partition)) {
        long position = kafka.position(partition);
        OptionalLong behind = kafka.currentLag(partition);
        if (behind.isPresent()) {
          lag.logEnd(partition, position + behind.getAsLong());
        }
        if (drained) {
          lag.drained(partition, position);
        }
      }
    }
  }

  /** Waits for the batch in flight to end (it reports its own failure), for at most 120 s. */
  private void awaitIdle() {
    if (inFlight == null) {
      return;
    }
    try {
      inFlight.get(120, TimeUnit.SECONDS);
    } catch (TimeoutException e) {
      LOG.warn("The commit in flight did not end within 120 s");
    } catch (ExecutionException e) {
      // commit() turns every failure into a Result: only an Error gets here, and the executor
      // thread reports it
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  // ---------------------------------------------------------------------------------------------------------
  // commit executor

  private Result commit(PreparedBatch batch) {
    BatchCommitter.Outcome outcome;
    try {
      outcome = committer.commit(batch, this::publishDeadLetters);
    } catch (RuntimeException e) {
      return Result.failed(batch, e);
    }
    Instant committedAt = Instant.now();
    Map<TopicPartition, OffsetAndMetadata> kafkaOffsets = new HashMap<>();
    for (TopicPartition partition : outcome.committed()) {
      PreparedBatch.Slice slice = batch.slices().get(partition);
      Set<Long> done = alreadyDeadLettered.get(partition);
      if (done != null) {
        done.removeIf(offset -> offset < slice.endOffset());
      }
      kafkaOffsets.put(partition, new OffsetAndMetadata(slice.endOffset()));
      metrics.committed(slice, committedAt);
    }
    if (!kafkaOffsets.isEmpty()) {
      lastBatchCommitted = committedAt;
    }
    return new Result(batch, outcome, kafkaOffsets, null);
  }

  /**
   * Dead letters of accepted slices, one Kafka transaction per source partition. The producer was
   * opened when the partition was assigned (fencing any previous owner); the commit executor never
   * opens one itself, or a zombie could fence the rightful owner back.
   */
  private Map<TopicPartition, Long> publishDeadLetters(List<PreparedBatch.Slice> accepted) {
    Map<TopicPartition, Long> ends = new LinkedHashMap<>();
    for (PreparedBatch.Slice slice : accepted) {
      if (slice.deadLetters().isEmpty()) {
        continue;
      }
      ends.put(slice.partition(), deadLetters.publish(slice.partition(), slice.deadLetters()));
      Set<Long> done =
          alreadyDeadLettered.computeIfAbsent(
              slice.partition(), p -> ConcurrentHashMap.newKeySet());
      slice.deadLetters().forEach(letter -> done.add(letter.source().offset()));
    }
    return ends;
  }

  private void sleep(long millis) {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /** Resume every assigned partition where the table says it ends; give up what was revoked. */
  private final class Rebalance implements ConsumerRebalanceListener {

    @Override
    public void onPartitionsAssigned(Collection<TopicPartition> partitions) {
      consumer.pause(partitions);
      pendingInit.addAll(partitions);
      assignedOnce = true;
    }

    @Override
    public void onPartitionsRevoked(Collection<TopicPartition> partitions) {
      release(partitions);
    }

    @Override
    public void onPartitionsLost(Collection<TopicPartition> partitions) {
      release(partitions);
    }

    /**
     * Let the batch in flight finish first: it may still commit legitimately, and it uses the
     * producers. A batch still waiting is dropped: its records come again from the ledger (this
     * writer's or the next owner's).
     */
    private void release(Collection<TopicPartition> partitions) {
      pending = null;
      awaitIdle();
      applyResults(consumer);
      for (TopicPartition partition : partitions) {
        deadLetters.close(partition);
        positions.remove(partition);
        resumedAt.remove(partition);
        alreadyDeadLettered.remove(partition);
        pendingInit.remove(partition);
      }
      lag.released(partitions);
    }
  }
}
