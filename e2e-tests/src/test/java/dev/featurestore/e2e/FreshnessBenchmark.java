package dev.featurestore.e2e;

import dev.featurestore.testing.BenchmarkReport;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.junit.jupiter.api.Test;

/**
 * End-to-end freshness at a sustained ingest rate: documents are produced to Kafka at a fixed rate,
 * and for every fifth one the time from its Kafka timestamp until {@code GET /v1/features/{id}}
 * answers 200 is measured, through the writer (MiniLM), the Iceberg table, the replicator and
 * memcached. Run with {@code ./featurestore bench freshness}; figures go to docs/BENCHMARKS.md.
 * Nothing is asserted.
 */
class FreshnessBenchmark {

  private static final int RATE = Integer.getInteger("bench.rate", 50);
  private static final int SECONDS = Integer.getInteger("bench.seconds", 30);

  private record Probe(String id, long producedAtMillis) {}

  @Test
  void freshnessUnderSustainedLoad() throws Exception {
    try (LocalSuite suite = LocalSuite.start()) {
      warmUp(suite);
      ConcurrentLinkedQueue<Probe> probes = new ConcurrentLinkedQueue<>();
      List<Long> latencies = new ArrayList<>();
      CompletableFuture<Void> producing = CompletableFuture.runAsync(() -> produce(suite, probes));
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(SECONDS + 60);
      int expected = RATE * SECONDS / 5;
      while (latencies.size() < expected && System.nanoTime() < deadline) {
        Probe probe = probes.peek();
        if (probe == null) {
          Thread.sleep(5);
          continue;
        }
        if (suite.get(probe.id()).statusCode() == 200) {
          latencies.add(System.currentTimeMillis() - probe.producedAtMillis());
          probes.poll();
        } else {
          Thread.sleep(10);
        }
      }
      producing.join();
      long[] sorted = latencies.stream().mapToLong(Long::longValue).sorted().toArray();
      report(
          sorted,
          expected,
          String.format(
              "writer embed %.0f ms, writer commit %.0f ms (table refresh %.0f, Parquet files %.0f, metadata commit %.0f), "
                  + "replicator cycle %.0f ms (means per batch / cycle)",
              suite.meanMillis("featurestore.writer.embed.time"),
              suite.meanMillis("featurestore.writer.commit.time"),
              suite.meanMillis("featurestore.writer.commit.phase", "phase", "refresh"),
              suite.meanMillis("featurestore.writer.commit.phase", "phase", "files"),
              suite.meanMillis("featurestore.writer.commit.phase", "phase", "metadata"),
              suite.meanMillis("featurestore.replicator.cycle.time")));
    }
  }

  private static void produce(LocalSuite suite, ConcurrentLinkedQueue<Probe> probes) {
    List<Future<RecordMetadata>> sent = new ArrayList<>(RATE * SECONDS);
    long intervalNanos = TimeUnit.SECONDS.toNanos(1) / RATE;
    long next = System.nanoTime();
    for (int i = 0; i < RATE * SECONDS; i++) {
      long wait = next - System.nanoTime();
      if (wait > 0) {
        java.util.concurrent.locks.LockSupport.parkNanos(wait);
      }
      next += intervalNanos;
      String id = "fresh-" + i;
      long producedAt = System.currentTimeMillis();
      sent.add(
          suite.producer.send(
              new ProducerRecord<>(
                  "documents",
                  id,
                  LocalSuite.document(
                      id, "Sustained document " + i + " about the state of the market today."))));
      if (i % 5 == 0) {
        probes.add(new Probe(id, producedAt));
      }
    }
    suite.producer.flush();
    for (Future<RecordMetadata> record : sent) {
      try {
        record.get();
      } catch (InterruptedException | ExecutionException e) {
        throw new IllegalStateException("Kafka did not take a benchmark record", e);
      }
    }
  }

  private static void warmUp(LocalSuite suite) throws Exception {
    suite
        .producer
        .send(
            new ProducerRecord<>("documents", "warm-up", LocalSuite.document("warm-up", "warm up")))
        .get();
    while (suite.get("warm-up").statusCode() != 200) {
      Thread.sleep(50);
    }
  }

  private static void report(long[] millis, int expected, String breakdown) {
    String body =
        String.format(
            """
            ## End-to-end freshness under sustained load (`./featurestore bench freshness`)

            %d documents/s produced to Kafka for %d s (embedded KRaft broker, 3 partitions); for every fifth one, the
            time from producing it until `GET /v1/features/{id}` answers 200: writer (MiniLM on ONNX Runtime, Iceberg
            commit), replicator (100 ms poll), memcached, serving API, all in one JVM on this machine.

            | measure | value |
            |---|---|
            | probes served | %d of %d |
            | freshness p50 | %d ms (target <= 500 ms) |
            | freshness p99 | %d ms (target <= 1500 ms) |
            | freshness max | %d ms |
            | where the time goes | %s |
            """,
            RATE,
            SECONDS,
            millis.length,
            expected,
            millis.length == 0 ? -1 : millis[millis.length / 2],
            millis.length == 0
                ? -1
                : millis[Math.min(millis.length - 1, (int) Math.ceil(millis.length * 0.99) - 1)],
            millis.length == 0 ? -1 : millis[millis.length - 1],
            breakdown);
    BenchmarkReport.record("freshness", body);
    System.out.println(Arrays.toString(millis));
  }
}
