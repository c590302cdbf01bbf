package dev.featurestore.writer.embedding;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Run in a JVM of its own by {@link EngineProcess}: loads the bundled model on one engine, embeds,
 * and prints which native libraries the process mapped (and from where), optional throughput per
 * batch size, and its memory.
 *
 * <p>Arguments: {@code <engine> <cacheDir> [<sentences> <batchSize>...]}. Output lines are {@code
 * key: value}.
 */
public final class EngineProbe {

  private EngineProbe() {}

  public static void main(String[] args) throws IOException {
    EmbeddingEngine engine = EmbeddingEngine.valueOf(args[0]);
    long loadStart = System.nanoTime();
    try (SentenceEmbedder embedder =
        SentenceEmbedder.builder()
            .engine(engine)
            .cacheDir(Path.of(args[1]))
            .maxBatchSize(1024)
            .build()) {
      embedder.embed("Warm the model up.");
      System.out.printf("load-ms: %d%n", (System.nanoTime() - loadStart) / 1_000_000);
      System.out.printf("rss-after-load-kib: %d%n", status("VmRSS"));
      if (args.length > 2) {
        List<String> texts = EmbeddingCorpus.sentencePairs(Integer.parseInt(args[2]), 7);
        for (int i = 3; i < args.length; i++) {
          throughput(embedder, texts, Integer.parseInt(args[i]));
        }
        // the writer's largest batch: 32 texts truncated at 256 word pieces (attention arrays of 32
        // x 12 x 256 x 256)
        List<String> longTexts =
            EmbeddingCorpus.texts(400, 8).stream()
                .filter(t -> t.length() > 1500)
                .limit(32)
                .toList();
        long t0 = System.nanoTime();
        embedder.embed(longTexts);
        System.out.printf(
            "long-batch: %d %d%n", longTexts.size(), (System.nanoTime() - t0) / 1_000_000);
      }
      for (String library : mappedLibraries()) {
        System.out.println("mapped: " + library);
      }
      System.out.printf("peak-rss-kib: %d%n", status("VmHWM"));
    }
  }

  /**
   * Embeds {@code texts} in batches of {@code batchSize} after a warm-up batch; prints sentences/s
   * and batch times.
   */
  private static void throughput(SentenceEmbedder embedder, List<String> texts, int batchSize) {
    embedder.embed(texts.subList(0, batchSize));
    List<Long> batchNanos = new ArrayList<>();
    long start = System.nanoTime();
    int done = 0;
    for (int from = 0; from + batchSize <= texts.size(); from += batchSize) {
      long t0 = System.nanoTime();
      embedder.embed(texts.subList(from, from + batchSize));
      batchNanos.add(System.nanoTime() - t0);
      done += batchSize;
    }
    double seconds = (System.nanoTime() - start) / 1e9;
    long[] sorted = batchNanos.stream().mapToLong(Long::longValue).sorted().toArray();
    System.out.printf(
        "batch-%d: %.1f %.2f %.2f%n",
        batchSize, done / seconds, percentile(sorted, 50) / 1e6, percentile(sorted, 99) / 1e6);
  }

  private static long percentile(long[] sorted, double p) {
    int index = (int) Math.ceil(p / 100 * sorted.length) - 1;
    return sorted[Math.max(0, Math.min(sorted.length - 1, index))];
  }

  /** Shared objects this process mapped, with the file they came from. */
  private static List<String> mappedLibraries() throws IOException {
    return Files.readAllLines(Path.of("/proc/self/maps")).stream()
        .map(line -> line.substring(line.lastIndexOf(' ') + 1))
        .filter(path -> path.contains(".so"))
        .distinct()
        .toList();
  }

  private static long status(String field) throws IOException {
    return Files.readAllLines(Path.of("/proc/self/status")).stream()
        .filter(line -> line.startsWith(field + ":"))
        .map(line -> Long.parseLong(line.replaceAll("[^0-9]", "")))
        .findFirst()
        .orElse(-1L);
  }
}
