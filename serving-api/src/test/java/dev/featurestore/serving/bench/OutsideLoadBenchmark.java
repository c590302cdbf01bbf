package dev.featurestore.serving.bench;

import dev.featurestore.api.MemcachedKeyScheme;
import dev.featurestore.memcached.MemcachedClients;
import dev.featurestore.memcached.MemcachedSettings;
import dev.featurestore.memcached.testing.MemcachedServer;
import dev.featurestore.serving.ServingApplication;
import dev.featurestore.serving.features.FeatureBodies;
import dev.featurestore.testing.BenchmarkReport;
import dev.featurestore.testing.Ports;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import net.spy.memcached.MemcachedClient;
import org.junit.jupiter.api.Test;
import org.springframework.context.ConfigurableApplicationContext;

/**
 * The serving API under a load generator that is not ours: wrk (Debian), closed loop, against the
 * API and against nginx's stock memcached module reading the same memcached, in one run. Part of
 * {@code ./featurestore bench serving}; figures go to docs/BENCHMARKS.md. Needs {@code wrk} and
 * {@code nginx} (apt-get install -y wrk nginx-light).
 */
class OutsideLoadBenchmark {

  private static final int DOCS = 2_000;
  private static final int BATCH = 50;
  private static final int CONNECTIONS = Integer.getInteger("bench.connections", 4);
  private static final int WRK_THREADS = Integer.getInteger("bench.wrk.threads", 2);
  private static final int SECONDS = Integer.getInteger("bench.seconds", 15);
  // the JIT needs this long at full load on 2 cores before a lane's figures settle
  private static final int WARMUP = Integer.getInteger("bench.warmup", 15);

  /**
   * The paced rows: this many connections, each waiting {@link #PACE_MILLIS} after every answer
   * before its next request, so every server gets about the same offered load (16 x ~900/s) well
   * below its capacity, and the p99s compare tails at equal load, not at full speed where the
   * faster server also makes the box busier.
   */
  private static final int PACED_CONNECTIONS = Integer.getInteger("bench.paced.connections", 16);

  private static final int PACE_MILLIS = 1;

  /** One wrk run's figures. */
  record Run(String lane, double requestsPerSecond, String p50, String p99, long errors) {
    Run named(String name) {
      return new Run(name, requestsPerSecond, p50, p99, errors);
    }
  }

  @Test
  void wrkAgainstTheApiAndNginxOnTheSameMemcached() throws Exception {
    Path work = Files.createTempDirectory(Path.of("target"), "bench-wrk-");
    try (MemcachedServer memcached = MemcachedServer.start(256)) {
      MemcachedClient client =
          MemcachedClients.connect(
              new MemcachedSettings(List.of(memcached.address()), Duration.ofSeconds(1), null));
      ServingBenchmark.storeDocuments(memcached, client, DOCS);
      MemcachedKeyScheme keys = MemcachedKeyScheme.defaultScheme().inGeneration(1);
      client.shutdown();
      int nginxPort = Ports.free();
      Process nginx = startNginx(work, nginxPort, memcached.address());
      ConfigurableApplicationContext app = startApi(memcached);
      // the same API without its hot cache: every lookup a memcached round trip, like nginx's
      ConfigurableApplicationContext uncached =
          startApi(memcached, "--featurestore.hot-cache.staleness=0ms");
      try {
        String api = url(app);
        String apiUncached = url(uncached);
        String floor = "http://127.0.0.1:" + nginxPort;
        Path nginxScript = script(work, "nginx", ids -> get("/m/" + keys.keyFor(ids[0]), null));
        Path json = script(work, "json", ids -> get("/v1/features/" + ids[0], "application/json"));
        Path binary =
            script(work, "binary", ids -> get("/v1/features/" + ids[0], FeatureBodies.BINARY));
        Path batchJson = script(work, "batch-json", ids -> batch(ids, "application/json"));
        Path batchBinary = script(work, "batch-binary", ids -> batch(ids, FeatureBodies.BINARY));
        wrk(work, floor, nginxScript, WARMUP); // warm-up, not reported
        wrk(work, api, json, WARMUP);
        wrk(work, api, binary, WARMUP);
        wrk(work, api, batchJson, WARMUP);
        wrk(work, api, batchBinary, WARMUP);
        wrk(work, apiUncached, json, WARMUP);
        wrk(work, apiUncached, binary, WARMUP);
        List<Run> runs = new ArrayList<>();
        runs.add(wrk(work, floor, nginxScript, SECONDS).named("nginx memcached module, one id"));
        runs.add(wrk(work, api, json, SECONDS).named("`GET /v1/features/{id}` JSON"));
        runs.add(wrk(work, api, binary, SECONDS).named("`GET /v1/features/{id}` binary"));
        runs.add(
            wrk(work, apiUncached, json, SECONDS)
                .named("`GET /v1/features/{id}` JSON, hot cache off"));
        runs.add(
            wrk(work, apiUncached, binary, SECONDS)
                .named("`GET /v1/features/{id}` binary, hot cache off"));
        runs.add(
            wrk(work, api, batchJson, SECONDS).named("`POST /v1/features:batchGet` 50 ids JSON"));
        runs.add(
            wrk(work, api, batchBinary, SECONDS)
                .named("`POST /v1/features:batchGet` 50 ids binary"));
        List<Run> paced = new ArrayList<>();
        paced.add(
            wrk(work, floor, paced(nginxScript), SECONDS, PACED_CONNECTIONS)
                .named("nginx memcached module, one id"));
        paced.add(
            wrk(work, api, paced(json), SECONDS, PACED_CONNECTIONS)
                .named("`GET /v1/features/{id}` JSON"));
        paced.add(
            wrk(work, api, paced(binary), SECONDS, PACED_CONNECTIONS)
                .named("`GET /v1/features/{id}` binary"));
        double hitRatio =
            app.getBean(io.micrometer.core.instrument.MeterRegistry.class)
                .get("featurestore.serving.hot.cache.hit.ratio")
                .gauge()
                .value();
        report(runs, paced, hitRatio);
      } finally {
        app.close();
        uncached.close();
        nginx.destroy();
        nginx.waitFor(10, TimeUnit.SECONDS);
      }
    }
  }

  static Process startNginx(Path work, int port, String memcached)
      throws IOException, InterruptedException {
    Path conf = work.resolve("nginx.conf");
    Files.writeString(
        conf,
        String.format(
            Locale.ROOT,
            """
            worker_processes 2;
            daemon off;
            pid %1$s/nginx.pid;
            error_log %1$s/nginx-error.log warn;
            events { worker_connections 1024; }
            http {
              access_log off;
              client_body_temp_path %1$s;
              upstream memcached { server %2$s; keepalive 32; }
              server {
                listen 127.0.0.1:%3$d;
                location ~ ^/m/(.*)$ {
                  set $memcached_key $1;
                  memcached_pass memcached;
                  default_type application/octet-stream;
                }
              }
            }
            """,
            work.toAbsolutePath(),
            memcached,
            port));
    Process nginx =
        new ProcessBuilder(
                "nginx",
                "-c",
                conf.toAbsolutePath().toString(),
                "-p",
                work.toAbsolutePath().toString())
            .redirectErrorStream(true)
            .redirectOutput(work.resolve("nginx.log").toFile())
            .start();
    for (int i = 0; i < 100 && !isOpen(port); i++) {
      Thread.sleep(50);
    }
    if (!isOpen(port)) {
      throw new IllegalStateException(
          "nginx did not start: " + Files.readString(work.resolve("nginx.log")));
    }
    return nginx;
  }

  private static boolean isOpen(int port) {
    try (java.net.Socket socket = new java.net.Socket()) {
      socket.connect(new java.net.InetSocketAddress("127.0.0.1", port), 200);
      return true;
    } catch (IOException e) {
      return false;
    }
  }

  /** A request of wrk's Lua: method, path, headers, body. */
  interface Request {
    String lua(String[] ids);
  }

  static String get(String path, String accept) {
    return accept == null
        ? "wrk.format(\"GET\", \"" + path + "\")"
        : "wrk.format(\"GET\", \"" + path + "\", {[\"Accept\"] = \"" + accept + "\"})";
  }

  static String batch(String[] ids, String accept) {
    StringBuilder body = new StringBuilder("{\\\"doc_ids\\\":[");
    for (int k = 0; k < ids.length; k++) {
      body.append(k == 0 ? "\\\"" : ",\\\"").append(ids[k]).append("\\\"");
    }
    body.append("]}");
    return "wrk.format(\"POST\", \"/v1/features:batchGet\", {[\"Accept\"] = \""
        + accept
        + "\", [\"Content-Type\"] = \"application/json\"}, \""
        + body
        + "\")";
  }

  /** A Lua script cycling through 1,000 pre-built requests of random ids. */
  static Path script(Path work, String name, Request request) throws IOException {
    Random random = new Random(7);
    // built in init(): wrk.format takes the Host header from wrk.headers, set only by then
    StringBuilder lua = new StringBuilder("local requests = {}\ninit = function(args)\n");
    for (int r = 0; r < 1000; r++) {
      String[] ids = new String[name.contains("batch") ? BATCH : 1];
      for (int k = 0; k < ids.length; k++) {
        ids[k] = "doc-" + random.nextInt(DOCS);
      }
      lua.append("requests[").append(r + 1).append("] = ").append(request.lua(ids)).append('\n');
    }
    lua.append(
        """
        end
        local n = 0
        request = function()
          n = n % #requests + 1
          return requests[n]
        end
        """);
    Path file = work.resolve(name.replace(' ', '-') + ".lua");
    Files.writeString(file, lua);
    return file;
  }

  /** {@code script}, each connection waiting {@link #PACE_MILLIS} after an answer (wrk's delay). */
  private static Path paced(Path script) throws IOException {
    Path file =
        script.resolveSibling(script.getFileName().toString().replace(".lua", "-paced.lua"));
    Files.writeString(
        file, Files.readString(script) + "delay = function()\n  return " + PACE_MILLIS + "\nend\n");
    return file;
  }

  static Run wrk(Path work, String url, Path script, int seconds)
      throws IOException, InterruptedException {
    return wrk(work, url, script, seconds, CONNECTIONS);
  }

  private static Run wrk(Path work, String url, Path script, int seconds, int connections)
      throws IOException, InterruptedException {
    Process wrk =
        new ProcessBuilder(
                "wrk",
                "-t" + WRK_THREADS,
                "-c" + connections,
                "-d" + seconds + "s",
                "--latency",
                "-s",
                script.toAbsolutePath().toString(),
                url)
            .redirectErrorStream(true)
            .start();
    String out =
        new String(wrk.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
    if (wrk.waitFor() != 0) {
      throw new IllegalStateException("wrk failed: " + out);
    }
    return new Run(
        script.getFileName().toString(),
        Double.parseDouble(find(out, "Requests/sec:\\s+([0-9.]+)")),
        find(out, "\\s50%\\s+(\\S+)"),
        find(out, "\\s99%\\s+(\\S+)"),
        Long.parseLong(orZero(out, "Non-2xx or 3xx responses:\\s+(\\d+)"))
            + Long.parseLong(orZero(out, "Socket errors:.*timeout (\\d+)")));
  }

  private static String find(String text, String regex) {
    Matcher m = Pattern.compile(regex).matcher(text);
    if (!m.find()) {
      throw new IllegalStateException("no " + regex + " in wrk's output: " + text);
    }
    return m.group(1);
  }

  private static String orZero(String text, String regex) {
    Matcher m = Pattern.compile(regex).matcher(text);
    return m.find() ? m.group(1) : "0";
  }

  private static ConfigurableApplicationContext startApi(
      MemcachedServer memcached, String... more) {
    List<String> args = new ArrayList<>();
    args.add("--server.port=0");
    args.add("--featurestore.http.port=0");
    args.add("--featurestore.memcached.servers=" + memcached.address());
    args.addAll(List.of(more));
    return ServingApplication.builder().run(args.toArray(String[]::new));
  }

  private static String url(ConfigurableApplicationContext app) {
    return "http://127.0.0.1:" + app.getEnvironment().getProperty("local.featurestore.http.port");
  }

  private static void report(List<Run> runs, List<Run> paced, double hitRatio) {
    String table = table(runs);
    String pacedTable = table(paced);
    BenchmarkReport.record(
        "serving-wrk",
        String.format(
            Locale.ROOT,
            """
            ## Serving under an outside load generator (`./featurestore bench serving`, second part)

            wrk (Debian) with %d connections, 2 threads, closed loop, %d s per row after %d s of warm-up per lane,
            ids drawn from %,d documents
            (1.7 KB values) in one local memcached; nginx's stock memcached module reads the same values from the
            same memcached (the floor on this box). The API runs with its shipped configuration (its hot cache
            served %.0f %% of the lookups of its lanes) and, for the rows marked so, without the hot cache, so that
            every lookup is a memcached round trip as nginx's are; both in the benchmark's JVM (Java %s); everything
            shares the machine's 2 cores.

            %s
            Paced, same servers right after: %d connections, each waiting %d ms after every answer before its next
            request, so each server gets about the same offered load, well below its capacity; the p99s compare
            tails at equal load (at full speed the faster server also makes the shared cores busier).

            %s
            Targets (issue 17): one-id JSON >= 0.6x nginx's throughput, binary >= 0.7x, p99 <= 1.5x nginx's.
            """,
            CONNECTIONS,
            SECONDS,
            WARMUP,
            DOCS,
            hitRatio * 100,
            Runtime.version().feature(),
            table,
            PACED_CONNECTIONS,
            PACE_MILLIS,
            pacedTable));
  }

  /** The runs with their ratios to the first (nginx's). */
  private static String table(List<Run> runs) {
    Run floor = runs.get(0);
    StringBuilder table =
        new StringBuilder(
            "| server, same run | req/s | vs nginx | p50 | p99 | p99 vs nginx | non-2xx or"
                + " timeouts |\n|---|---|---|---|---|---|---|\n");
    for (Run run : runs) {
      table.append(
          String.format(
              Locale.ROOT,
              "| %s | %,.0f | %.2fx | %s | %s | %.2fx | %d |%n",
              run.lane(),
              run.requestsPerSecond(),
              run.requestsPerSecond() / floor.requestsPerSecond(),
              run.p50(),
              run.p99(),
              ServingVariantsBenchmark.micros(run.p99())
                  / ServingVariantsBenchmark.micros(floor.p99()),
              run.errors()));
    }
    return table.toString();
  }
}
