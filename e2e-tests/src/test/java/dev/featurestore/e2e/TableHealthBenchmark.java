package dev.featurestore.e2e;

import dev.featurestore.api.Embeddings;
import dev.featurestore.iceberg.CatalogSettings;
import dev.featurestore.iceberg.FeatureTable;
import dev.featurestore.replicator.maintenance.MaintenanceOptions;
import dev.featurestore.replicator.maintenance.TableHealth;
import dev.featurestore.replicator.maintenance.TableMaintenance;
import dev.featurestore.testing.BenchmarkReport;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.apache.iceberg.Table;
import org.apache.iceberg.catalog.Catalog;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.Test;

/**
 * The table under months of streaming, compressed: {@code bench.commits} (20,000) one-document
 * commits at the writer's maximum rate (commit pacing off: each document is sent once the previous
 * one is committed), with the replicator's maintenance on its schedule. Prints, at the start and
 * the end, the commit cycle (send to committed) p50/p99, metadata.json bytes, snapshots, data files
 * and table bytes against the raw vector bytes, and the end-to-end freshness (send to served by the
 * API) of every 20th document, split by whether maintenance was running. Run with {@code
 * ./featurestore bench table-health}; figures go to docs/BENCHMARKS.md. Nothing is asserted.
 */
class TableHealthBenchmark {

  private static final int COMMITS = Integer.getInteger("bench.commits", 20_000);
  private static final String INTERVAL = System.getProperty("bench.maintenance-interval", "1m");
  private static final String RETENTION = System.getProperty("bench.snapshot-retention", "1m");
  private static final int WINDOW = 1000;

  private record Probe(String id, long sentAtMillis, boolean duringMaintenance) {}

  private record Shape(
      long metadataJsonBytes,
      int snapshots,
      long dataFiles,
      long tableBytes,
      long metadataDirBytes,
      long rows) {}

  @Test
  void tableStaysHealthyUnderOneDocumentCommits() throws Exception {
    String[] writer = {"--featurestore.writer.commit-interval=0s"};
    String[] replicator = {
      "--featurestore.maintenance.interval=" + INTERVAL,
      "--featurestore.maintenance.snapshot-retention=" + RETENTION,
    };
    try (LocalSuite suite = LocalSuite.start(writer, replicator)) {
      TableMaintenance maintenance = suite.bean(TableMaintenance.class);
      ConcurrentLinkedQueue<Probe> probes = new ConcurrentLinkedQueue<>();
      List<Long> freshnessQuiet = new ArrayList<>();
      List<Long> freshnessMaintaining = new ArrayList<>();
      Thread prober =
          new Thread(
              () -> probe(suite, probes, freshnessQuiet, freshnessMaintaining), "bench-prober");
      prober.setDaemon(true);
      prober.start();
      long[] cycles = new long[COMMITS];
      Shape start = null;
      Shape middle = null;
      long began = System.nanoTime();
      long peakMetadataJson = 0;
      for (int i = 0; i < COMMITS; i++) {
        long commitsBefore = suite.count("featurestore.writer.commit.time");
        long sentAt = System.nanoTime();
        String id = "health-" + i;
        suite
            .producer
            .send(
                new ProducerRecord<>(
                    "documents",
                    id,
                    LocalSuite.document(id, "Document " + i + " of a long day of streaming.")))
            .get();
        while (suite.count("featurestore.writer.commit.time") == commitsBefore) {
          Thread.onSpinWait();
          Thread.sleep(0, 200_000);
        }
        cycles[i] = System.nanoTime() - sentAt;
        if (i % 20 == 0) {
          probes.add(
              new Probe(
                  id,
                  System.currentTimeMillis() - TimeUnit.NANOSECONDS.toMillis(cycles[i]),
                  maintenance.isRunning()));
        }
        if (i == WINDOW) {
          start = shape(suite);
        }
        if (i == COMMITS / 2) {
          middle = shape(suite);
        }
        if (i % 100 == 0) {
          peakMetadataJson =
              Math.max(peakMetadataJson, TableHealth.of(table(suite)).metadataJsonBytes());
        }
        if (i % 2000 == 0) {
          System.out.printf(
              "bench table-health: %d commits, %.0f s%n", i, (System.nanoTime() - began) / 1e9);
        }
      }
      double seconds = (System.nanoTime() - began) / 1e9;
      Shape beforeFinal = shape(suite);
      while (!probes.isEmpty()) {
        Thread.sleep(50);
      }
      // the last scheduled run may be minutes away: one more now, as an operator would before
      // measuring storage
      MaintenanceOptions options =
          suite
              .bean(dev.featurestore.replicator.ReplicatorProperties.class)
              .maintenance()
              .options();
      runNow(maintenance, options);
      Shape end = shape(suite);
      StorageBreakdown breakdown = StorageBreakdown.of(table(suite));
      // the snapshots of the retention window still hold the files that run compacted away: once it
      // has passed,
      // the next run expires them (what a table that stopped receiving writes settles to)
      Thread.sleep(options.snapshotRetention().toMillis());
      runNow(maintenance, options);
      Shape settled = shape(suite);
      StorageBreakdown settledBreakdown = StorageBreakdown.of(table(suite));
      report(
          options.maxSnapshots(),
          peakMetadataJson,
          breakdown,
          settled,
          settledBreakdown,
          cycles,
          seconds,
          start,
          middle,
          beforeFinal,
          end,
          sorted(freshnessQuiet),
          sorted(freshnessMaintaining),
          suite.meanMillis("featurestore.writer.commit.phase", "phase", "metadata"));
    }
  }

  private static void probe(
      LocalSuite suite,
      ConcurrentLinkedQueue<Probe> probes,
      List<Long> quiet,
      List<Long> maintaining) {
    try {
      while (true) {
        Probe probe = probes.peek();
        if (probe == null) {
          Thread.sleep(2);
          continue;
        }
        if (suite.get(probe.id()).statusCode() == 200) {
          long latency = System.currentTimeMillis() - probe.sentAtMillis();
          synchronized (quiet) {
            (probe.duringMaintenance() ? maintaining : quiet).add(latency);
          }
          probes.poll();
        } else {
          Thread.sleep(5);
        }
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** One run now, after the scheduled one in progress if any. */
  private static void runNow(TableMaintenance maintenance, MaintenanceOptions options)
      throws InterruptedException {
    while (true) {
      try {
        maintenance.run(options);
        return;
      } catch (TableMaintenance.LeaseUnavailableException e) {
        Thread.sleep(100);
      }
    }
  }

  private static Table table(LocalSuite suite) {
    CatalogSettings settings = suite.catalog;
    Catalog catalog = settings.load(suite.stateDir);
    return catalog.loadTable(FeatureTable.identifier(settings.table()));
  }

  private static Shape shape(LocalSuite suite) throws IOException {
    Table table = table(suite);
    TableHealth health = TableHealth.of(table);
    long rows =
        Long.parseLong(table.currentSnapshot().summary().getOrDefault("total-records", "0"));
    long tableBytes = bytesUnder(Path.of(table.location()));
    long metadataBytes = bytesUnder(Path.of(table.location(), "metadata"));
    return new Shape(
        health.metadataJsonBytes(),
        health.snapshots(),
        health.dataFiles(),
        tableBytes,
        metadataBytes,
        rows);
  }

  private static long bytesUnder(Path dir) throws IOException {
    if (!Files.isDirectory(dir)) {
      return 0;
    }
    try (Stream<Path> files = Files.walk(dir)) {
      return files.filter(Files::isRegularFile).mapToLong(path -> path.toFile().length()).sum();
    }
  }

  private static long[] sorted(List<Long> values) {
    synchronized (values) {
      return values.stream().mapToLong(Long::longValue).sorted().toArray();
    }
  }

  private static long percentile(long[] sorted, double p) {
    return sorted.length == 0
        ? -1
        : sorted[Math.min(sorted.length - 1, (int) Math.ceil(sorted.length * p) - 1)];
  }

  private static double millis(long[] cycles, int from, int to, double p) {
    long[] window = Arrays.copyOfRange(cycles, from, to);
    Arrays.sort(window);
    return percentile(window, p) / 1e6;
  }

  private static String row(String name, Shape shape) {
    double raw = shape.rows() * (double) Embeddings.DIMENSION * Float.BYTES;
    return String.format(
        "| %s | %d | %s | %d | %d | %s | %s | %.2fx |",
        name,
        shape.rows(),
        kib(shape.metadataJsonBytes()),
        shape.snapshots(),
        shape.dataFiles(),
        kib(shape.metadataDirBytes()),
        kib(shape.tableBytes()),
        raw == 0 ? 0 : shape.tableBytes() / raw);
  }

  private static String kib(long bytes) {
    return String.format("%.0f KiB", bytes / 1024.0);
  }

  private static void report(
      int maxSnapshots,
      long peakMetadataJson,
      StorageBreakdown breakdown,
      Shape settled,
      StorageBreakdown settledBreakdown,
      long[] cycles,
      double seconds,
      Shape start,
      Shape middle,
      Shape beforeFinal,
      Shape end,
      long[] quiet,
      long[] maintaining,
      double metadataMeanMillis) {
    int n = cycles.length;
    String body =
        String.format(
            """
            ## Table health under one-document commits (`./featurestore bench table-health`)

            %d commits of one document each at the writer's maximum rate (commit pacing off; each document is sent once
            the previous one is committed: %.1f commits/s over %.0f s), with the replicator's maintenance every %s and a
            snapshot retention of %s (at most %d snapshots kept), all in one JVM on this machine (local layout: SQLite catalog, one memcached).

            | commit cycle, send to committed | p50 | p99 |
            |---|---|---|
            | commits %d-%d (start) | %.0f ms | %.0f ms |
            | last %d commits (end) | %.0f ms | %.0f ms |

            Mean Iceberg metadata commit over the run: %.0f ms.

            | table | rows | metadata.json | snapshots | data files | metadata dir | table bytes | table / raw vectors |
            |---|---|---|---|---|---|---|---|
            %s
            %s
            %s
            %s
            %s

            Largest metadata.json seen (read every 100 commits): %s.

            Raw vectors: rows x 384 x 4 bytes. "after maintenance" is one more run right after the last commit: the
            snapshots of the retention window (%s) still reference the files it compacted away. "settled" is the
            next run, one retention window later. Where the bytes are, after maintenance:

            %s

            and settled:

            %s

            | freshness, send to served by the API (every 20th document) | samples | p50 | p99 | max |
            |---|---|---|---|---|
            | maintenance not running | %d | %d ms | %d ms | %d ms |
            | maintenance running (compaction, expiry) | %d | %d ms | %d ms | %d ms |
            """,
            n,
            n / seconds,
            seconds,
            INTERVAL,
            RETENTION,
            maxSnapshots,
            WINDOW,
            2 * WINDOW,
            millis(cycles, WINDOW, Math.min(n, 2 * WINDOW), 0.5),
            millis(cycles, WINDOW, Math.min(n, 2 * WINDOW), 0.99),
            WINDOW,
            millis(cycles, Math.max(0, n - WINDOW), n, 0.5),
            millis(cycles, Math.max(0, n - WINDOW), n, 0.99),
            metadataMeanMillis,
            row("after " + WINDOW + " commits", start),
            row("half way", middle),
            row("at the last commit", beforeFinal),
            row("after maintenance", end),
            row("settled", settled),
            kib(peakMetadataJson),
            RETENTION,
            breakdown.toMarkdown().strip(),
            settledBreakdown.toMarkdown().strip(),
            quiet.length,
            percentile(quiet, 0.5),
            percentile(quiet, 0.99),
            quiet.length == 0 ? -1 : quiet[quiet.length - 1],
            maintaining.length,
            percentile(maintaining, 0.5),
            percentile(maintaining, 0.99),
            maintaining.length == 0 ? -1 : maintaining[maintaining.length - 1]);
    BenchmarkReport.record("table-health", body);
  }
}
