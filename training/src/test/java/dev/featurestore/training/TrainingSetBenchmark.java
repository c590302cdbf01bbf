package dev.featurestore.training;

import static org.assertj.core.api.Assertions.assertThat;

import dev.featurestore.api.FeatureRow;
import dev.featurestore.iceberg.CatalogSettings;
import dev.featurestore.iceberg.testing.FeatureTables;
import dev.featurestore.testing.BenchmarkReport;
import dev.featurestore.testing.FeatureRows;
import dev.featurestore.training.testing.ParquetFiles;
import dev.featurestore.training.testing.SparkRecipe;
import java.io.BufferedWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.apache.iceberg.Table;
import org.apache.iceberg.catalog.Catalog;
import org.junit.jupiter.api.Test;

/**
 * {@code ./featurestore bench training-set}: a point-in-time training set of 1M entity rows (random
 * ids, random times) against a 1M-row table with rewrites and deletions, by the command line tool
 * in a JVM of its own ({@code -Xmx2g}), with its wall time and peak RSS, next to the Spark recipe
 * of docs/TRAINING.md on the same data. Figures go to docs/BENCHMARKS.md. No timing is asserted.
 */
class TrainingSetBenchmark {

  private static final int TABLE_ROWS = Integer.getInteger("bench.rows", 1_000_000);
  private static final int ENTITIES = Integer.getInteger("bench.entities", 1_000_000);
  private static final int FILE_ROWS = 50_000;
  private static final Instant T0 = Instant.parse("2026-11-01T00:00:00Z");

  @Test
  void trainingSetOfAMillionEntitiesAgainstAMillionVersions() throws Exception {
    Path work = Files.createTempDirectory(Path.of("target"), "bench-training-");
    Path stateDir = work.resolve("state");
    CatalogSettings settings = CatalogSettings.defaults();
    Catalog catalog = settings.load(stateDir);
    Table table = settings.featureTable(catalog);

    // 70 % of the rows are first versions of distinct ids, 20 % rewrites, 10 % deletions; one
    // commit of 50,000 rows an hour of table time
    int ids = (int) (TABLE_ROWS * 0.7);
    Random random = new Random(42);
    long buildStart = System.nanoTime();
    int written = 0;
    int commit = 0;
    long deletions = 0;
    while (written < TABLE_ROWS) {
      Instant at = T0.plusSeconds(3600L * commit++);
      List<FeatureRow> rows = new ArrayList<>(FILE_ROWS);
      for (int i = 0; i < FILE_ROWS && written < TABLE_ROWS; i++, written++) {
        if (written < ids) {
          rows.add(FeatureRows.row("doc-" + written, written, at));
        } else if (random.nextInt(3) == 0) {
          rows.add(
              FeatureRow.deletion(
                  "doc-" + random.nextInt(ids),
                  FeatureRows.TEST_MODEL,
                  at,
                  at.plusNanos(i * 1000L)));
          deletions++;
        } else {
          rows.add(FeatureRows.row("doc-" + random.nextInt(ids), written, at.plusNanos(i * 1000L)));
        }
      }
      FeatureTables.append(table, rows);
    }
    double buildSeconds = (System.nanoTime() - buildStart) / 1e9;
    Instant end = T0.plusSeconds(3600L * commit);
    if (catalog instanceof AutoCloseable closeable) {
      closeable.close();
    }

    Path entities = work.resolve("entities.csv");
    long span = end.toEpochMilli() - T0.toEpochMilli() + 7_200_000L;
    try (BufferedWriter out = Files.newBufferedWriter(entities, StandardCharsets.UTF_8)) {
      out.write("doc_id,timestamp,label\n");
      for (int i = 0; i < ENTITIES; i++) {
        Instant asOf = T0.minusSeconds(3600).plusMillis((long) (random.nextDouble() * span));
        // a tenth of the ids were never written
        out.write("doc-" + random.nextInt((int) (ids * 1.1)) + "," + asOf + "," + (i % 2) + "\n");
      }
    }
    long entityBytes = Files.size(entities);

    Path output = work.resolve("train.parquet");
    Path rss = work.resolve("rss.txt");
    List<String> command =
        List.of(
            "/usr/bin/time",
            "-f",
            "%M",
            "-o",
            rss.toString(),
            Path.of(System.getProperty("java.home"), "bin", "java").toString(),
            "-Xmx2g",
            "-cp",
            System.getProperty("java.class.path"),
            Commands.class.getName(),
            "training-set",
            "--entities",
            entities.toString(),
            "--out",
            output.toString(),
            "--state-dir",
            stateDir.toString());
    long start = System.nanoTime();
    Process process =
        new ProcessBuilder(command)
            .redirectErrorStream(true)
            .redirectOutput(work.resolve("tool.log").toFile())
            .start();
    assertThat(process.waitFor(30, TimeUnit.MINUTES)).isTrue();
    double seconds = (System.nanoTime() - start) / 1e9;
    String log = Files.readString(work.resolve("tool.log"));
    assertThat(process.exitValue()).as(log).isZero();
    long peakKib =
        Long.parseLong(Files.readAllLines(rss).get(Files.readAllLines(rss).size() - 1).strip());
    String summary = log.lines().filter(l -> l.startsWith("wrote ")).findFirst().orElse(log);

    // the same join by the Spark recipe of docs/TRAINING.md, on the same table and entities
    Path sparkOut = work.resolve("spark");
    double sparkSeconds =
        SparkRecipe.run(
            work,
            SparkRecipe.recipe(entities, sparkOut, null),
            settings.resolvedProperties(stateDir));
    long sparkFound = countFound(sparkOut);

    BenchmarkReport.record(
        "training-set",
        String.format(
            Locale.ROOT,
            """
            ## Point-in-time training set (`./featurestore bench training-set`)

            A table of %,d versions (%,d ids: %,d first versions, then rewrites and %,d deletions, in %d commits of
            %,d rows, one an hour of table time; built in %.1f s), and an entity file of %,d rows (%,d MB of CSV:
            random ids, a tenth never written, random times over the table's life and an hour either side). The
            command line tool (`training-set`, `-Xmx2g`) in a JVM of its own, JVM start included.

            | measure | value |
            |---|---|
            | JVM training set | %,d entity rows in %.1f s = **%,.0f rows/s** (target: <= 60 s) |
            | peak RSS of that process | %,d MiB (heap limit 2 GiB) |
            | tool's summary | %s |
            | Spark 4.1 local[2], the recipe of docs/TRAINING.md (`./featurestore spark-sql -f`, `-Xmx2g`, JVM start included) | %.1f s = %,.0f rows/s, %,d found |
            | **JVM / Spark** | **%.1fx faster** |
            """,
            TABLE_ROWS,
            ids,
            ids,
            deletions,
            commit,
            FILE_ROWS,
            buildSeconds,
            ENTITIES,
            entityBytes / (1024 * 1024),
            ENTITIES,
            seconds,
            ENTITIES / seconds,
            peakKib / 1024,
            summary.strip(),
            sparkSeconds,
            ENTITIES / sparkSeconds,
            sparkFound,
            sparkSeconds / seconds));
  }

  /** Rows with found = true in Spark's part files. */
  private static long countFound(Path dir) {
    return ParquetFiles.read(dir).stream()
        .filter(row -> Boolean.TRUE.equals(row.getField(TrainingSet.FOUND)))
        .count();
  }
}
