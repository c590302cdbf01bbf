package dev.featurestore.serving.bench;

import dev.featurestore.api.MemcachedKeyScheme;
import dev.featurestore.memcached.MemcachedClients;
import dev.featurestore.memcached.MemcachedSettings;
import dev.featurestore.memcached.testing.MemcachedServer;
import dev.featurestore.serving.features.FeatureBodies;
import dev.featurestore.testing.BenchmarkReport;
import dev.featurestore.testing.Ports;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import net.spy.memcached.MemcachedClient;
import org.junit.jupiter.api.Test;

/**
 * An A/B of whole serving builds and JVMs in one run: each variant (a jar, a java, its flags) runs
 * as its own process on the same memcached, under the same wrk lanes, next to nginx's memcached
 * module; figures and each variant's RSS go to docs/BENCHMARKS.md. {@code ./featurestore bench
 * serving-ab [REV]} builds the variants (REV: an earlier build to compare against).
 *
 * <p>{@code -Dbench.variants}: variants separated by {@code ;}, each {@code
 * name|java|jar|api-port-property|flags} (flags separated by spaces).
 */
class ServingVariantsBenchmark {

  private static final int SECONDS = Integer.getInteger("bench.seconds", 15);
  private static final int WARMUP = Integer.getInteger("bench.warmup", 10);

  private record Variant(
      String name, String java, String jar, String apiPortProperty, String flags) {
    static Variant parse(String spec) {
      String[] parts = spec.split("\\|", -1);
      if (parts.length != 5) {
        throw new IllegalArgumentException(
            "Invalid variant (name|java|jar|port-property|flags): " + spec);
      }
      return new Variant(parts[0], parts[1], parts[2], parts[3], parts[4]);
    }
  }

  private record Result(Variant variant, List<OutsideLoadBenchmark.Run> lanes, long rssKb) {}

  @Test
  void servingBuildsAndJvmsSideBySide() throws Exception {
    String spec = System.getProperty("bench.variants", "");
    List<Variant> variants =
        Arrays.stream(spec.split(";")).filter(v -> !v.isBlank()).map(Variant::parse).toList();
    if (variants.isEmpty()) {
      throw new IllegalStateException(
          "-Dbench.variants is empty: run ./featurestore bench serving-ab");
    }
    Path work = Files.createTempDirectory(Path.of("target"), "bench-ab-");
    try (MemcachedServer memcached = MemcachedServer.start(256)) {
      MemcachedClient client =
          MemcachedClients.connect(
              new MemcachedSettings(List.of(memcached.address()), Duration.ofSeconds(1), null));
      ServingBenchmark.storeDocuments(memcached, client, 2_000);
      client.shutdown();
      MemcachedKeyScheme keys = MemcachedKeyScheme.defaultScheme().inGeneration(1);
      int nginxPort = Ports.free();
      Process nginx = OutsideLoadBenchmark.startNginx(work, nginxPort, memcached.address());
      try {
        Path nginxScript =
            OutsideLoadBenchmark.script(
                work, "nginx", ids -> OutsideLoadBenchmark.get("/m/" + keys.keyFor(ids[0]), null));
        List<Path> lanes =
            List.of(
                OutsideLoadBenchmark.script(
                    work,
                    "one id JSON",
                    ids -> OutsideLoadBenchmark.get("/v1/features/" + ids[0], "application/json")),
                OutsideLoadBenchmark.script(
                    work,
                    "one id binary",
                    ids ->
                        OutsideLoadBenchmark.get("/v1/features/" + ids[0], FeatureBodies.BINARY)),
                OutsideLoadBenchmark.script(
                    work,
                    "batch of 50 JSON",
                    ids -> OutsideLoadBenchmark.batch(ids, "application/json")),
                OutsideLoadBenchmark.script(
                    work,
                    "batch of 50 binary",
                    ids -> OutsideLoadBenchmark.batch(ids, FeatureBodies.BINARY)));
        // -Dbench.lanes=one-id-JSON,...: only these (for quick experiments)
        String only = System.getProperty("bench.lanes", "");
        if (!only.isBlank()) {
          List<String> names = List.of(only.split(","));
          lanes =
              lanes.stream()
                  .filter(lane -> names.contains(lane.getFileName().toString().replace(".lua", "")))
                  .toList();
        }
        String floorUrl = "http://127.0.0.1:" + nginxPort;
        OutsideLoadBenchmark.wrk(work, floorUrl, nginxScript, WARMUP);
        OutsideLoadBenchmark.Run floor =
            OutsideLoadBenchmark.wrk(work, floorUrl, nginxScript, SECONDS);
        List<Result> results = new ArrayList<>();
        for (Variant variant : variants) {
          Path log = work.resolve(variant.name().replaceAll("\\W", "_") + ".log");
          try (ServingProcess app =
              new ServingProcess(
                  variant.java(),
                  variant.jar(),
                  variant.apiPortProperty(),
                  variant.flags(),
                  memcached,
                  log)) {
            List<OutsideLoadBenchmark.Run> runs = new ArrayList<>();
            for (Path lane : lanes) {
              OutsideLoadBenchmark.wrk(work, app.url(), lane, WARMUP);
              runs.add(OutsideLoadBenchmark.wrk(work, app.url(), lane, SECONDS));
            }
            results.add(new Result(variant, runs, app.rssKb()));
          }
        }
        report(floor, results);
      } finally {
        nginx.destroy();
        nginx.waitFor(10, TimeUnit.SECONDS);
      }
    }
  }

  /** wrk's latency text (860.00us, 1.20ms, 2.00s) in microseconds. */
  static double micros(String latency) {
    double value = Double.parseDouble(latency.replaceAll("[a-z]+$", ""));
    return latency.endsWith("us") ? value : latency.endsWith("ms") ? value * 1e3 : value * 1e6;
  }

  private static void report(OutsideLoadBenchmark.Run floor, List<Result> results) {
    StringBuilder table =
        new StringBuilder(
            "| variant | lane | req/s | vs nginx | p50 | p99 | p99 vs nginx | non-2xx | RSS after |\n"
                + "|---|---|---|---|---|---|---|---|---|\n");
    table.append(
        String.format(
            Locale.ROOT,
            "| nginx memcached module (floor) | one id | %,.0f | 1.00x | %s | %s | 1.00x | %d | |%n",
            floor.requestsPerSecond(),
            floor.p50(),
            floor.p99(),
            floor.errors()));
    for (Result result : results) {
      for (int i = 0; i < result.lanes().size(); i++) {
        OutsideLoadBenchmark.Run run = result.lanes().get(i);
        table.append(
            String.format(
                Locale.ROOT,
                "| %s | %s | %,.0f | %.2fx | %s | %s | %.2fx | %d | %s |%n",
                i == 0 ? result.variant().name() : "",
                run.lane().replace(".lua", "").replace('-', ' '),
                run.requestsPerSecond(),
                run.requestsPerSecond() / floor.requestsPerSecond(),
                run.p50(),
                run.p99(),
                micros(run.p99()) / micros(floor.p99()),
                run.errors(),
                i == 0 ? result.rssKb() / 1024 + " MB" : ""));
      }
    }
    BenchmarkReport.record(
        "serving-ab",
        String.format(
            Locale.ROOT,
            """
            ## Serving builds and JVMs side by side (`./featurestore bench serving-ab`)

            Each variant runs as its own process (`-Xmx512m`, its shipped configuration) on the same local memcached
            holding 2,000 documents; wrk (Debian), 4 connections, 2 threads, closed loop, %d s per lane after %d s of
            warm-up; nginx's memcached module on the same memcached is the floor. One run, one variant at a time;
            RSS is read after the variant's last lane.

            %s""",
            SECONDS,
            WARMUP,
            table));
  }
}
