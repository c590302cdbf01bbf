package dev.featurestore.serving.bench;

import dev.featurestore.api.FeatureVersion;
import dev.featurestore.api.MemcachedKeyScheme;
import dev.featurestore.api.OnlineFeature;
import dev.featurestore.api.OnlineFeatureCodec;
import dev.featurestore.memcached.MemcachedClients;
import dev.featurestore.memcached.MemcachedSettings;
import dev.featurestore.memcached.testing.MemcachedServer;
import dev.featurestore.serving.ServingApplication;
import dev.featurestore.serving.features.FeatureBodies;
import dev.featurestore.serving.web.SlowBodyClients;
import dev.featurestore.testing.BenchmarkReport;
import dev.featurestore.testing.FeatureRows;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import net.spy.memcached.MemcachedClient;
import org.junit.jupiter.api.Test;
import org.springframework.context.ConfigurableApplicationContext;

/**
 * Serving latency under open-loop load ({@link OpenLoopLoad}: fixed request rate, latency from each
 * request's due time), next to raw spymemcached get / getBulk measured the same way in the same
 * run: one id at 2k req/s and 50 ids at 500 req/s, in JSON and in the binary representation. The
 * app runs with its shipped configuration (serving-api.yml) against one local memcached holding 10k
 * documents; ids are drawn uniformly, so the hot-key cache rarely helps. Run with {@code
 * ./featurestore bench serving}; figures go to docs/BENCHMARKS.md. Nothing is asserted.
 */
class ServingBenchmark {

  private static final int DOCS = 10_000;
  private static final int SINGLE_RATE = Integer.getInteger("bench.single.rate", 2000);
  private static final int BATCH_RATE = Integer.getInteger("bench.batch.rate", 500);
  private static final int BATCH = 50;
  // as in OutsideLoadBenchmark: with 5 s, a lane's p99 still held the JIT compiling its path on
  // 2 cores (batch of 50 JSON: 6.1 ms in one run, 2.7 ms with 15 s in the next)
  private static final int WARMUP = Integer.getInteger("bench.warmup", 15);
  private static final int SECONDS = Integer.getInteger("bench.seconds", 15);
  private static final int LANES = 8;
  private static final int SLOW_CLIENTS = Integer.getInteger("bench.slow.clients", 1000);
  private static final int SLOW_CLIENTS_RATE = Integer.getInteger("bench.slow.rate", 1000);
  private static final int SLOW_CLIENTS_SECONDS = Integer.getInteger("bench.slow.seconds", 20);

  /** -Dbench.json=false skips the JSON runs (for quick experiments on the binary path). */
  private static final boolean JSON =
      Boolean.parseBoolean(System.getProperty("bench.json", "true"));

  /** -Dbench.single=false skips the one-id runs. */
  private static final boolean SINGLE =
      Boolean.parseBoolean(System.getProperty("bench.single", "true"));

  private static final OpenLoopLoad.Result SKIPPED = new OpenLoopLoad.Result(new long[0], 0, 1);

  @Test
  void servingLatencyUnderOpenLoopLoad() throws Exception {
    try (MemcachedServer memcached = MemcachedServer.start(256)) {
      MemcachedClient client =
          MemcachedClients.connect(
              new MemcachedSettings(List.of(memcached.address()), Duration.ofSeconds(1), null));
      List<String> allKeys = storeDocuments(memcached, client);

      OpenLoopLoad.Result rawGet =
          OpenLoopLoad.run(rawGetLane(client, allKeys), LANES, SINGLE_RATE, WARMUP, SECONDS);
      OpenLoopLoad.Result rawBulk =
          OpenLoopLoad.run(
              () ->
                  i ->
                      client
                              .asyncGetBulk(batchKeys(allKeys, i), MemcachedClients.RAW_BYTES)
                              .get(1, TimeUnit.SECONDS)
                              .size()
                          == distinct(i),
              LANES,
              BATCH_RATE,
              WARMUP,
              SECONDS);

      // in a process of its own, as users run it: the load generator's threads and garbage stay
      // out of its heap
      try (ServingProcess app =
          ServingProcess.thisBuild(
              memcached, Files.createTempFile(Path.of("target"), "bench-serving-", ".log"))) {
        int port = app.apiPort();
        byte[][] singleJson = new byte[DOCS][];
        byte[][] singleBinary = new byte[DOCS][];
        for (int i = 0; i < DOCS; i++) {
          singleJson[i] = HttpLane.get("/v1/features/" + id(i), "application/json");
          singleBinary[i] = HttpLane.get("/v1/features/" + id(i), FeatureBodies.BINARY);
        }
        Measured httpSingle =
            JSON && SINGLE
                ? measure(app, ONE, () -> new HttpLane(port, i -> singleJson[pick(i)]), SINGLE_RATE)
                : NOT_MEASURED;
        Measured httpSingleBinary =
            SINGLE
                ? measure(
                    app, ONE, () -> new HttpLane(port, i -> singleBinary[pick(i)]), SINGLE_RATE)
                : NOT_MEASURED;
        Measured httpBatch =
            JSON
                ? measure(
                    app,
                    BATCH_ROUTE,
                    () -> new HttpLane(port, i -> batchRequest(i, "application/json")),
                    BATCH_RATE)
                : NOT_MEASURED;
        Measured httpBatchBinary =
            measure(
                app,
                BATCH_ROUTE,
                () -> new HttpLane(port, i -> batchRequest(i, FeatureBodies.BINARY)),
                BATCH_RATE);
        double hitRatio = app.metric("featurestore_serving_hot_cache_hit_ratio");
        report(
            rawGet,
            rawBulk,
            httpSingle.load(),
            httpSingleBinary.load(),
            httpBatch.load(),
            httpBatchBinary.load(),
            hitRatio,
            new double[] {
              httpSingle.serverP99(),
              httpSingleBinary.serverP99(),
              httpBatch.serverP99(),
              httpBatchBinary.serverP99()
            });
      } finally {
        client.shutdown();
      }
    }
  }

  /**
   * One-id lookups at a fixed rate, first alone, then while 1,000 other connections each send a
   * batchGet body one byte per 100 ms (a slow-body attack; each is cut with a 408 at the body
   * timeout and opened again). Run with {@code ./featurestore bench slow-clients}.
   */
  @Test
  void oneIdLatencyWhileAThousandClientsSendBodiesSlowly() throws Exception {
    try (MemcachedServer memcached = MemcachedServer.start(256)) {
      MemcachedClient client =
          MemcachedClients.connect(
              new MemcachedSettings(List.of(memcached.address()), Duration.ofSeconds(1), null));
      List<String> allKeys = storeDocuments(memcached, client);
      ConfigurableApplicationContext app =
          ServingApplication.builder()
              .run(
                  "--server.port=0",
                  "--featurestore.http.port=0",
                  "--featurestore.memcached.servers=" + memcached.address());
      try {
        int port =
            Integer.parseInt(app.getEnvironment().getProperty("local.featurestore.http.port"));
        Callable<OpenLoopLoad.Result> rawGets =
            () ->
                OpenLoopLoad.run(
                    rawGetLane(client, allKeys),
                    LANES,
                    SLOW_CLIENTS_RATE,
                    WARMUP,
                    SLOW_CLIENTS_SECONDS);
        byte[][] single = new byte[DOCS][];
        for (int i = 0; i < DOCS; i++) {
          single[i] = HttpLane.get("/v1/features/" + id(i), "application/json");
        }
        long bodyTimeout =
            app.getBean(dev.featurestore.serving.ServingProperties.class)
                .requestBodyTimeout()
                .toMillis();
        Callable<OpenLoopLoad.Result> lookups =
            () ->
                OpenLoopLoad.run(
                    () -> new HttpLane(port, i -> single[pick(i)]),
                    LANES,
                    SLOW_CLIENTS_RATE,
                    WARMUP,
                    SLOW_CLIENTS_SECONDS);
        OpenLoopLoad.Result alone = lookups.call();
        // independent clients: opened over one body timeout, so they are cut and come back at an
        // even rate
        Attack independent = attack(port, bodyTimeout, false, lookups);
        // all opened at once, so all are cut and open again at once, every body timeout
        Attack connectionBursts = attack(port, 0, false, lookups);
        // one attacker sending every connection's byte in the same millisecond
        Attack lockstep = attack(port, bodyTimeout, true, lookups);
        // the floor: what that attack does to lookups that do not pass through the server (the CPU
        // it takes)
        OpenLoopLoad.Result rawAlone = rawGets.call();
        Attack rawLockstep = attack(port, bodyTimeout, true, rawGets);
        String body =
            String.format(
                """
                ## One-id lookups while 1,000 clients send bodies slowly (`./featurestore bench slow-clients`)

                `GET /v1/features/{id}` JSON at %d/s (open loop, %d connections, %,d documents in one local memcached),
                %d s measured after %d s of warm-up: first alone, then while %,d other connections each declare a
                1,000-byte batchGet body and send one byte per 100 ms, all on this machine and in this JVM. The app
                runs with its shipped configuration: its event loops read bodies as they arrive, without a thread
                per request, and bodies must arrive within `request-body-timeout` (%,d ms); a slow connection
                is cut then (a 408) and opened again, so %,d are open throughout. Three kinds of attack:
                independent clients (opened over %,d ms, so they are cut and replaced at an even rate, each sending
                its byte at its own moment); the same clients all opened at once (so all are cut and come back as one
                burst of new connections every %,d ms); and one attacker sending every connection's byte in the same
                millisecond (lockstep), so %,d tiny packets are read ahead of a lookup by the server's event loops.

                | load | p50 | p99 | p99.9 | max | errors | slow connections cut (answered 408) |
                |---|---|---|---|---|---|---|
                | one id alone | %s | |
                | one id with %,d independent slow-body clients | %s | %,d (%,d) |
                | one id with %,d slow-body clients opened at once | %s | %,d (%,d) |
                | one id with %,d slow-body connections dripping in lockstep | %s | %,d (%,d) |
                | floor: raw spymemcached get, %d/s, alone | %s | |
                | floor: raw spymemcached get, %d/s, with the lockstep attack on the API | %s | %,d (%,d) |

                p99 with the slow clients / p99 alone: **%.2fx** with independent clients (target: at most 2x),
                %.2fx when opened at once, %.2fx in lockstep. The floor rows show what the lockstep attack costs a
                lookup that never touches our server, from the CPU it takes on this machine alone: %.2fx.
                """,
                SLOW_CLIENTS_RATE,
                LANES,
                DOCS,
                SLOW_CLIENTS_SECONDS,
                WARMUP,
                SLOW_CLIENTS,
                bodyTimeout,
                SLOW_CLIENTS,
                bodyTimeout,
                bodyTimeout,
                SLOW_CLIENTS,
                row(alone),
                SLOW_CLIENTS,
                row(independent.load()),
                independent.ended(),
                independent.answered408(),
                SLOW_CLIENTS,
                row(connectionBursts.load()),
                connectionBursts.ended(),
                connectionBursts.answered408(),
                SLOW_CLIENTS,
                row(lockstep.load()),
                lockstep.ended(),
                lockstep.answered408(),
                SLOW_CLIENTS_RATE,
                row(rawAlone),
                SLOW_CLIENTS_RATE,
                row(rawLockstep.load()),
                rawLockstep.ended(),
                rawLockstep.answered408(),
                independent.p99Ratio(alone),
                connectionBursts.p99Ratio(alone),
                lockstep.p99Ratio(alone),
                rawLockstep.p99Ratio(rawAlone));
        BenchmarkReport.record("slow-clients", body);
      } finally {
        app.close();
        client.shutdown();
      }
    }
  }

  private static Attack attack(
      int port, long rampMillis, boolean lockstep, Callable<OpenLoopLoad.Result> measured)
      throws Exception {
    try (SlowBodyClients slow =
        new SlowBodyClients(port, SLOW_CLIENTS, 1_000, 100, rampMillis, lockstep)) {
      OpenLoopLoad.Result load = measured.call();
      return new Attack(load, slow.ended(), slow.answered408());
    }
  }

  /** One-id lookups measured during a slow-body attack, and what the attack saw. */
  private record Attack(OpenLoopLoad.Result load, long ended, long answered408) {
    double p99Ratio(OpenLoopLoad.Result alone) {
      return (double) load.percentile(99) / Math.max(1, alone.percentile(99));
    }
  }

  /** Raw spymemcached gets of uniformly drawn documents: the baseline lane of both benchmarks. */
  private static OpenLoopLoad.Lanes rawGetLane(MemcachedClient client, List<String> keys) {
    return () ->
        i ->
            client.asyncGet(keys.get(pick(i)), MemcachedClients.RAW_BYTES).get(1, TimeUnit.SECONDS)
                != null;
  }

  /** 10k documents in generation 1 of {@code memcached}; returns their keys. */
  private static List<String> storeDocuments(MemcachedServer memcached, MemcachedClient client)
      throws Exception {
    return storeDocuments(memcached, client, DOCS);
  }

  /**
   * Stores {@code docs} documents {@code doc-0 ...} in generation 1 (published); returns their
   * keys.
   */
  static List<String> storeDocuments(MemcachedServer memcached, MemcachedClient client, int docs)
      throws Exception {
    MemcachedServer.publishGeneration(1, memcached);
    MemcachedKeyScheme keys = MemcachedKeyScheme.defaultScheme().inGeneration(1);
    Instant t0 = Instant.parse("2026-11-25T10:00:00Z");
    List<String> allKeys = new ArrayList<>(docs);
    List<Future<Boolean>> stored = new ArrayList<>(docs);
    for (int i = 0; i < docs; i++) {
      OnlineFeature feature =
          OnlineFeature.of(FeatureRows.row(id(i), i, t0), FeatureVersion.of(1, 1));
      stored.add(
          client.set(
              keys.keyFor(id(i)),
              0,
              OnlineFeatureCodec.encode(feature),
              MemcachedClients.RAW_BYTES));
      allKeys.add(keys.keyFor(id(i)));
    }
    for (Future<Boolean> set : stored) {
      if (!set.get(10, TimeUnit.SECONDS)) {
        throw new IllegalStateException("memcached refused a document of the benchmark");
      }
    }
    client.getBulk(allKeys.subList(0, 10), MemcachedClients.RAW_BYTES);
    return allKeys;
  }

  private static String id(int i) {
    return "doc-" + i;
  }

  /** A uniform, repeatable pseudo-random document for request {@code i}. */
  private static int pick(long i) {
    long x = i * 0x9E3779B97F4A7C15L;
    x ^= x >>> 31;
    return (int) Math.floorMod(x, DOCS);
  }

  private static List<String> batchKeys(List<String> allKeys, long i) {
    List<String> batch = new ArrayList<>(BATCH);
    for (int k = 0; k < BATCH; k++) {
      batch.add(allKeys.get(pick(i * BATCH + k)));
    }
    return batch;
  }

  private static int distinct(long i) {
    java.util.Set<Integer> ids = new java.util.HashSet<>();
    for (int k = 0; k < BATCH; k++) {
      ids.add(pick(i * BATCH + k));
    }
    return ids.size();
  }

  private static byte[] batchRequest(long i, String accept) {
    StringBuilder json = new StringBuilder("{\"doc_ids\":[");
    for (int k = 0; k < BATCH; k++) {
      json.append(k == 0 ? "\"" : ",\"").append(id(pick(i * BATCH + k))).append('"');
    }
    return HttpLane.postJson("/v1/features:batchGet", json.append("]}").toString(), accept);
  }

  private static void report(
      OpenLoopLoad.Result rawGet,
      OpenLoopLoad.Result rawBulk,
      OpenLoopLoad.Result single,
      OpenLoopLoad.Result singleBinary,
      OpenLoopLoad.Result batch,
      OpenLoopLoad.Result batchBinary,
      double hitRatio,
      double[] serverP99) {
    String body =
        String.format(
            """
            ## Serving latency under open-loop load (`./featurestore bench serving`)

            Fixed request rates; each latency is measured from the request's due time (coordinated-omission aware),
            %d connections, the load generator in the benchmark's JVM and the API in its own process (`java -Xmx512m
            -jar`, its shipped configuration), on this machine, one local memcached with %,d documents, ids drawn
            uniformly (hot-key cache hit ratio %.1f %%), %d s measured after %d s of warm-up.

            | load | p50 | p99 | p99.9 | max | errors | p99 vs raw | server-side p99 |
            |---|---|---|---|---|---|---|---|
            | raw spymemcached get, %d/s | %s | | |
            | `GET /v1/features/{id}` JSON, %d/s | %s | %.1fx | %s |
            | `GET /v1/features/{id}` binary, %d/s | %s | %.1fx | %s |
            | raw spymemcached getBulk of %d, %d/s | %s | | |
            | `POST /v1/features:batchGet` %d ids JSON, %d/s | %s | %.1fx | %s |
            | `POST /v1/features:batchGet` %d ids binary, %d/s | %s | %.1fx | %s |

            Server-side p99: the API's own `http.server.requests` histogram over the lane's measured seconds, from
            the request parsed to its answer written, as the bound of the bucket it falls in; the rest of the
            client's p99 is the kernel, the scheduler and the load generator.

            Targets (issue 17): a batch of 50 at 500/s, p99 <= 3 ms binary and <= 5 ms JSON, not saturated.
            """,
            LANES,
            DOCS,
            100 * hitRatio,
            SECONDS,
            WARMUP,
            SINGLE_RATE,
            row(rawGet),
            SINGLE_RATE,
            row(single),
            ratio(single, rawGet),
            millis(serverP99[0]),
            SINGLE_RATE,
            row(singleBinary),
            ratio(singleBinary, rawGet),
            millis(serverP99[1]),
            BATCH,
            BATCH_RATE,
            row(rawBulk),
            BATCH,
            BATCH_RATE,
            row(batch),
            ratio(batch, rawBulk),
            millis(serverP99[2]),
            BATCH,
            BATCH_RATE,
            row(batchBinary),
            ratio(batchBinary, rawBulk),
            millis(serverP99[3]));
    BenchmarkReport.record("serving", body);
  }

  private static final String HTTP_REQUESTS = "http_server_requests_seconds";
  private static final String ONE = "/v1/features/{docId}";
  private static final String BATCH_ROUTE = "/v1/features:batchGet";

  /** A lane's load as the client saw it, and the API's own p99 over its measured seconds. */
  private record Measured(OpenLoopLoad.Result load, double serverP99) {}

  private static final Measured NOT_MEASURED = new Measured(SKIPPED, Double.NaN);

  private static Measured measure(
      ServingProcess app, String route, OpenLoopLoad.Lanes lanes, int rate) throws Exception {
    java.util.concurrent.atomic.AtomicReference<java.util.NavigableMap<Double, Double>> before =
        new java.util.concurrent.atomic.AtomicReference<>();
    OpenLoopLoad.Result load =
        OpenLoopLoad.run(
            lanes,
            LANES,
            rate,
            WARMUP,
            SECONDS,
            () -> {
              before.set(app.buckets(HTTP_REQUESTS, "uri=\"" + route + "\"", "status=\"200\""));
              return null;
            });
    return new Measured(load, serverP99(app, route, before.get()));
  }

  /**
   * The API's own p99 for the requests of one lane, from its {@code http.server.requests} buckets
   * before and after the lane: the upper bound of the bucket the 99th percentile falls in.
   */
  private static double serverP99(
      ServingProcess app, String route, java.util.NavigableMap<Double, Double> before)
      throws Exception {
    java.util.NavigableMap<Double, Double> after =
        app.buckets(HTTP_REQUESTS, "uri=\"" + route + "\"", "status=\"200\"");
    double total =
        after.getOrDefault(Double.POSITIVE_INFINITY, 0.0)
            - before.getOrDefault(Double.POSITIVE_INFINITY, 0.0);
    for (java.util.Map.Entry<Double, Double> bucket : after.entrySet()) {
      if (bucket.getValue() - before.getOrDefault(bucket.getKey(), 0.0) >= 0.99 * total) {
        return bucket.getKey();
      }
    }
    return Double.NaN;
  }

  private static String millis(double seconds) {
    return Double.isNaN(seconds) || Double.isInfinite(seconds)
        ? ""
        : String.format(Locale.ROOT, "<= %.2f ms", seconds * 1000);
  }

  @SuppressWarnings("ReferenceEquality") // SKIPPED is a sentinel instance
  private static String row(OpenLoopLoad.Result result) {
    if (result == SKIPPED) {
      return "skipped | | | |";
    }
    return String.format(
        "%s | %s | %s | %s | %d",
        millis(result.percentile(50)),
        millis(result.percentile(99)),
        millis(result.percentile(99.9)),
        millis(result.micros().length == 0 ? -1 : result.micros()[result.micros().length - 1]),
        result.errors());
  }

  @SuppressWarnings("ReferenceEquality") // SKIPPED is a sentinel instance
  private static double ratio(OpenLoopLoad.Result http, OpenLoopLoad.Result raw) {
    if (http == SKIPPED) {
      return 0;
    }
    return (double) http.percentile(99) / Math.max(1, raw.percentile(99));
  }

  private static String millis(long micros) {
    return String.format("%.2f ms", micros / 1000.0);
  }
}
