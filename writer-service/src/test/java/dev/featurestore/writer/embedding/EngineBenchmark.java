package dev.featurestore.writer.embedding;

import dev.featurestore.testing.BenchmarkReport;
import java.nio.file.Path;
import java.util.EnumMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Sentences/s and batch latency of the bundled MiniLM on each engine at batch sizes 1, 8, 32 and
 * 64, with the process's memory, each engine in a JVM of its own ({@link EngineProcess}) so
 * neither's natives or heap count for the other. Texts are two sentences of about 15 words (about
 * 20 word pieces), default threads (one per core). Run with {@code ./featurestore bench embedding};
 * figures go to docs/BENCHMARKS.md. Nothing is asserted.
 */
class EngineBenchmark {

  private static final int SENTENCES = Integer.getInteger("bench.sentences", 1024);
  private static final List<Integer> BATCH_SIZES = List.of(1, 8, 32, 64);
  private static final int WRITER_BATCH = 32;
  private static final EmbeddingEngine DEFAULT = shippedDefault();

  /** The engine the writer ships as its default (WriterProperties, bound with nothing set). */
  private static EmbeddingEngine shippedDefault() {
    return new org.springframework.boot.context.properties.bind.Binder(java.util.List.of())
        .bindOrCreate("featurestore", dev.featurestore.writer.WriterProperties.class)
        .embedding()
        .engine();
  }

  @Test
  void throughputAndMemoryPerEngine() throws Exception {
    Path cache = Path.of("target", "probe-cache");
    String[] args = new String[BATCH_SIZES.size() + 1];
    args[0] = Integer.toString(SENTENCES);
    for (int i = 0; i < BATCH_SIZES.size(); i++) {
      args[i + 1] = Integer.toString(BATCH_SIZES.get(i));
    }
    Map<EmbeddingEngine, EngineProcess> runs = new EnumMap<>(EmbeddingEngine.class);
    for (EmbeddingEngine engine : EmbeddingEngine.values()) {
      runs.put(engine, EngineProcess.run(engine, cache, args));
    }
    StringBuilder table =
        new StringBuilder("| engine | load | RSS after load | peak RSS | 32 x 256 pieces |");
    for (int size : BATCH_SIZES) {
      table.append(" batch ").append(size).append(" |");
    }
    table.append("\n|---|---|---|---|---|").append("---|".repeat(BATCH_SIZES.size())).append('\n');
    EmbeddingEngine fastest = null;
    double best = 0;
    for (Map.Entry<EmbeddingEngine, EngineProcess> run : runs.entrySet()) {
      EngineProcess probe = run.getValue();
      table.append(
          String.format(
              "| %s | %.1f s | %d MiB | %d MiB |",
              run.getKey().name().toLowerCase(Locale.ROOT),
              Long.parseLong(probe.value("load-ms")) / 1000.0,
              Long.parseLong(probe.value("rss-after-load-kib")) / 1024,
              Long.parseLong(probe.value("peak-rss-kib")) / 1024));
      String[] longBatch = probe.value("long-batch").split(" ");
      table.append(String.format(" %s texts in %s ms |", longBatch[0], longBatch[1]));
      for (int size : BATCH_SIZES) {
        String[] figures = probe.value("batch-" + size).split(" ");
        double perSecond = Double.parseDouble(figures[0]);
        table.append(
            String.format(" %.0f/s (p50 %s ms, p99 %s ms) |", perSecond, figures[1], figures[2]));
        if (size == WRITER_BATCH && perSecond > best) {
          best = perSecond;
          fastest = run.getKey();
        }
      }
      table.append('\n');
    }
    String body =
        String.format(
            """
        ## Embedding engines (`./featurestore bench embedding`)

        The bundled all-MiniLM-L6-v2 on each DJL engine, each in a JVM of its own (`-Xmx512m`, `OMP_WAIT_POLICY=PASSIVE`),
        both engines' jars on the classpath as in the writer. %,d texts of two sentences (about 20 word pieces each),
        embedded in batches of each size after one warm-up batch; sentences/s and the time of one batch. Threads:
        one per core (the default). Peak RSS is the process's high-water mark over the whole run, which ends with one
        batch of 32 texts truncated at 256 word pieces (the writer's largest batch).

        %s
        Faster at the writer's batch size (%d): **%s**; the default engine (`featurestore.embedding.engine`) is `%s`%s.
        """,
            SENTENCES,
            table,
            WRITER_BATCH,
            fastest == null ? "?" : fastest.name().toLowerCase(Locale.ROOT),
            DEFAULT.name().toLowerCase(Locale.ROOT),
            fastest == DEFAULT ? ", the faster one" : ": NOT the faster one in this run");
    BenchmarkReport.record("embedding", body);
  }
}
