package dev.featurestore.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import dev.featurestore.api.Embeddings;
import dev.featurestore.api.FeatureRow;
import dev.featurestore.iceberg.CatalogSettings;
import dev.featurestore.iceberg.FeatureTable;
import dev.featurestore.testing.Readiness;
import dev.featurestore.writer.ingest.DeadLetterChannel;
import java.io.IOException;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.TreeSet;
import java.util.UUID;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.iceberg.Table;
import org.apache.iceberg.catalog.Catalog;
import org.apache.iceberg.data.IcebergGenerics;
import org.apache.iceberg.data.Record;
import org.apache.iceberg.io.CloseableIterable;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * The whole product in one JVM, deployed as docker-compose.yml deploys it, through real parts only:
 * an embedded KRaft Kafka broker, two memcached servers, an Iceberg table (JdbcCatalog in
 * PostgreSQL, Parquet files), the replicator's lease in the same PostgreSQL, and the real MiniLM
 * weights. Documents go in through Kafka and come out of the HTTP API. (The SQLite catalog of
 * {@code ./featurestore up} is what the writer's and replicator's own tests use.)
 */
class WalkingSkeletonIT {

  private static final Duration SERVED_WITHIN = Duration.ofSeconds(60);
  private static final JsonMapper JSON = LocalSuite.JSON;

  private static LocalSuite suite;

  @BeforeAll
  static void startEverything() throws IOException {
    suite = LocalSuite.sharedLikeCompose();
  }

  @Test
  void documentsComeOutOfTheApiExactlyAsTheWriterStoredThem() throws Exception {
    String run = UUID.randomUUID().toString().substring(0, 8);
    Map<String, String> texts =
        Map.of(
            "food-" + run, "A man is eating food.",
            "bread-" + run, "A man is eating a piece of bread.",
            "horse-" + run, "A man is riding a horse.",
            "unicode-" + run, "Ünïcødé text with emoji 🚀 and 中文 characters.");
    texts.forEach((id, text) -> send(id, document(id, text)));
    suite.producer.flush();

    Map<String, JsonNode> served = new HashMap<>();
    for (String id : texts.keySet()) {
      served.put(id, awaitServed(id));
    }

    Map<String, FeatureRow> stored = readTable();
    for (String id : texts.keySet()) {
      JsonNode body = served.get(id);
      FeatureRow row = stored.get(id);
      assertThat(row).as("row of %s in the Iceberg table", id).isNotNull();
      assertThat(body.get("doc_id").stringValue()).isEqualTo(id);
      assertThat(body.get("model").stringValue()).isEqualTo(row.model().name());
      assertThat(body.get("model_digest").stringValue())
          .isEqualTo(row.model().digest())
          .startsWith("sha256:");
      assertThat(body.get("event_time").stringValue()).isEqualTo(row.eventTime().toString());
      assertThat(body.get("processed_at").stringValue()).isEqualTo(row.processedAt().toString());
      float[] embedding = embedding(body);
      assertThat(embedding).hasSize(Embeddings.DIMENSION);
      for (int i = 0; i < embedding.length; i++) {
        assertThat(Float.floatToRawIntBits(embedding[i]))
            .as("bits of component %d of %s", i, id)
            .isEqualTo(Float.floatToRawIntBits(row.embedding()[i]));
      }
    }

    float[] food = embedding(served.get("food-" + run));
    double paraphrase = Embeddings.cosine(food, embedding(served.get("bread-" + run)));
    double unrelated = Embeddings.cosine(food, embedding(served.get("horse-" + run)));
    assertThat(paraphrase).isGreaterThan(unrelated + 0.3);
  }

  @Test
  void malformedRecordGoesToTheDeadLetterTopicAndTheNextGoodOneIsServed() throws Exception {
    String run = UUID.randomUUID().toString().substring(0, 8);
    String badKey = "bad-" + run;
    String goodId = "after-bad-" + run;
    send(badKey, "{not json".getBytes(StandardCharsets.UTF_8));
    send(
        "missing-text-" + run,
        ("{\"doc_id\":\"missing-text-" + run + "\"}").getBytes(StandardCharsets.UTF_8));
    send(goodId, document(goodId, "The record after a malformed one is still embedded."));
    suite.producer.flush();

    assertThat(awaitServed(goodId).get("doc_id").stringValue()).isEqualTo(goodId);

    Map<String, ConsumerRecord<String, byte[]>> dead =
        awaitDeadLetters(List.of(badKey, "missing-text-" + run));
    ConsumerRecord<String, byte[]> notJson = dead.get(badKey);
    assertThat(header(notJson, DeadLetterChannel.HEADER_ERROR_CODE)).isEqualTo("NOT_JSON");
    assertThat(header(notJson, DeadLetterChannel.HEADER_ERROR_MESSAGE)).contains("not JSON");
    assertThat(header(notJson, DeadLetterChannel.HEADER_SOURCE_TOPIC)).isEqualTo("documents");
    assertThat(header(notJson, DeadLetterChannel.HEADER_SOURCE_OFFSET)).matches("\\d+");
    assertThat(new String(notJson.value(), StandardCharsets.UTF_8)).isEqualTo("{not json");
    assertThat(header(dead.get("missing-text-" + run), DeadLetterChannel.HEADER_ERROR_CODE))
        .isEqualTo("MISSING_FIELD");
  }

  /** Each service's readiness names the dependencies it waits on, and all of them answer. */
  @Test
  void everyServiceIsReadyAndItsReadinessCoversItsDependencies() throws Exception {
    String id = "ready-" + UUID.randomUUID().toString().substring(0, 8);
    sendAndAwaitServed(id, "Readiness after a first commit.");
    List<String> targets = suite.actuatorTargets();
    Map<String, List<String>> expected =
        Map.of(
            targets.get(0), List.of("readinessState", "kafka", "catalog", "ingest"),
            targets.get(1), List.of("readinessState", "catalog", "memcached"),
            targets.get(2), List.of("readinessState", "memcached"));
    for (Map.Entry<String, List<String>> service : expected.entrySet()) {
      HttpResponse<String> readiness =
          Readiness.at(service.getKey()).get("/actuator/health/readiness");
      assertThat(readiness.statusCode())
          .as("readiness of %s: %s", service.getKey(), readiness.body())
          .isEqualTo(200);
      JsonNode body = JSON.readTree(readiness.body());
      assertThat(body.get("components").propertyNames())
          .as("readiness of %s", service.getKey())
          .containsExactlyInAnyOrderElementsOf(service.getValue());
      assertThat(body.findValues("status"))
          .allSatisfy(status -> assertThat(status.asString()).isEqualTo("UP"));
    }
    JsonNode writerCatalog =
        Readiness.at(targets.get(0)).await(200, body -> true).at("/components/catalog/details");
    assertThat(writerCatalog.get("table").asString()).isEqualTo("featurestore.document_embeddings");
    assertThat(writerCatalog.get("snapshotId").isNumber())
        .as("catalog details %s", writerCatalog)
        .isTrue();
  }

  /**
   * A real Prometheus scrapes the three services with the alert rules loaded. Every metric the
   * alert rules and the Grafana dashboard query returns data through Prometheus' HTTP API once the
   * traffic that creates it has happened (a dead letter, a lookup, a missing id); every panel query
   * of the dashboard evaluates and returns data; every rule is healthy. The rules' logic is
   * unit-tested by promtool ({@code AlertRulesTest}), the dashboard's form by {@code
   * GrafanaDashboardTest}.
   */
  @Test
  void prometheusHasDataForEveryMetricTheAlertRulesAndTheDashboardQuery() throws Exception {
    String run = UUID.randomUUID().toString().substring(0, 8);
    send("metrics-bad-" + run, "{not json".getBytes(StandardCharsets.UTF_8));
    String goodId = "metrics-good-" + run;
    sendAndAwaitServed(goodId, "Traffic so that every alerted metric exists.");
    assertThat(get("metrics-missing-" + run).statusCode()).isEqualTo(404);
    assertThat(get("x".repeat(600)).statusCode())
        .as("an id over the 512-byte limit")
        .isEqualTo(400);

    Set<String> alerted = AlertRulesTest.metricNames();
    Set<String> charted = GrafanaDashboard.metricNames();
    assertThat(alerted)
        .contains(
            "featurestore_replicator_lag_seconds",
            "featurestore_writer_records_dead_lettered_total",
            "http_server_requests_seconds_bucket");
    Set<String> queried = new TreeSet<>(alerted);
    queried.addAll(charted);
    try (PrometheusServer prometheus = PrometheusServer.scraping(suite.actuatorTargets())) {
      Set<String> missing = awaitData(prometheus, queried, metric -> metric);
      assertThat(missing)
          .as("metrics the alert rules or the dashboard query that Prometheus has no data for")
          .isEmpty();
      // every series carries both common tags
      for (String metric : queried) {
        assertThat(
                prometheus
                    .api(
                        "/api/v1/query",
                        "count(" + metric + "{service=\"\"} or " + metric + "{table=\"\"})")
                    .get("result"))
            .as("series of %s without a service or table label", metric)
            .isEmpty();
      }
      // the serving latency rule selects on these labels
      assertThat(
              prometheus
                  .api(
                      "/api/v1/query",
                      "http_server_requests_seconds_bucket{service=\"serving-api\", uri=~\"/v1/.*\"}")
                  .get("result"))
          .isNotEmpty();
      Map<String, String> panelQueries = new java.util.LinkedHashMap<>();
      GrafanaDashboard.queries()
          .forEach(query -> panelQueries.put(query.expression(), query.panel()));
      Set<String> emptyPanels =
          awaitData(prometheus, panelQueries.keySet(), expression -> expression);
      assertThat(emptyPanels)
          .as(
              "dashboard queries without data (panels: %s)",
              emptyPanels.stream().map(panelQueries::get).toList())
          .isEmpty();
      // a rule is "ok" once it has been evaluated without error (every second here)
      int rules = AlertRulesTest.expressions().size();
      List<String> healthy = List.of();
      long rulesDeadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
      while (healthy.size() < rules && System.nanoTime() < rulesDeadline) {
        healthy = new java.util.ArrayList<>();
        for (JsonNode group : prometheus.api("/api/v1/rules", null).get("groups")) {
          for (JsonNode rule : group.get("rules")) {
            if ("ok".equals(rule.path("health").asString())) {
              healthy.add(rule.get("name").asString());
            }
          }
        }
        Thread.sleep(healthy.size() < rules ? 500 : 0);
      }
      assertThat(healthy)
          .hasSize(rules)
          .contains("FeaturestoreReplicationLagHigh", "FeaturestoreWriterStalled");
    }
  }

  /** The queries that still return no data after up to a minute of scrapes. */
  private static Set<String> awaitData(
      PrometheusServer prometheus,
      Set<String> items,
      java.util.function.UnaryOperator<String> query)
      throws Exception {
    long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
    Set<String> missing = new TreeSet<>(items);
    while (!missing.isEmpty() && System.nanoTime() < deadline) {
      Set<String> stillMissing = new TreeSet<>();
      for (String item : missing) {
        if (prometheus.api("/api/v1/query", query.apply(item)).get("result").isEmpty()) {
          stillMissing.add(item);
        }
      }
      missing = stillMissing;
      if (!missing.isEmpty()) {
        Thread.sleep(500);
      }
    }
    return missing;
  }

  @Test
  void deletionsAndErasuresBothEndServingButOnlyAnErasureRemovesTheHistory() throws Exception {
    String suffix = UUID.randomUUID().toString().substring(0, 8);
    String deleted = "deleted-" + suffix;
    String erased = "erased-" + suffix;
    sendAndAwaitServed(deleted, "A document that will be deleted.");
    sendAndAwaitServed(erased, "A document that will be erased.");
    send(deleted, null);
    ProducerRecord<String, byte[]> erasure = new ProducerRecord<>("documents", erased, null);
    erasure
        .headers()
        .add(
            dev.featurestore.writer.ingest.DocumentParser.ERASURE_HEADER,
            "true".getBytes(java.nio.charset.StandardCharsets.UTF_8));
    suite.producer.send(erasure).get(30, TimeUnit.SECONDS);

    assertThat(awaitStatus(deleted, 404)).as("after the deletion").isEqualTo(404);
    assertThat(awaitStatus(erased, 404)).as("after the erasure").isEqualTo(404);
    assertThat(tableRows(deleted))
        .as("a deletion keeps the history: the row, then the deletion")
        .extracting(FeatureRow::deleted)
        .containsExactly(false, true);
    assertThat(tableRows(erased)).as("an erasure leaves no row").isEmpty();
  }

  /** The live rows of one doc id in the table, oldest first. */
  private static List<FeatureRow> tableRows(String docId) throws Exception {
    CatalogSettings settings = suite.catalog;
    Catalog catalog = settings.load(suite.stateDir);
    List<FeatureRow> rows = new ArrayList<>();
    try {
      Table table = catalog.loadTable(FeatureTable.identifier(settings.table()));
      try (CloseableIterable<Record> records =
          IcebergGenerics.read(table)
              .where(org.apache.iceberg.expressions.Expressions.equal(FeatureTable.DOC_ID, docId))
              .build()) {
        records.forEach(record -> rows.add(FeatureTable.fromRecord(record)));
      }
    } finally {
      if (catalog instanceof AutoCloseable closeable) {
        closeable.close();
      }
    }
    rows.sort(java.util.Comparator.comparing(FeatureRow::processedAt));
    return rows;
  }

  /**
   * Each service's port, the writer's and the replicator's as much as the API's, answers errors as
   * problems.
   */
  @Test
  void everyPortAnswersErrorsAsCountedProblemDocuments() throws Exception {
    List<String> targets = suite.actuatorTargets();
    for (String target : targets) {
      for (String[] request :
          List.of(
              new String[] {"GET", "/no-such-path"},
              new String[] {"TRACE", "/actuator/health"},
              new String[] {"GET", "/a%00b"})) {
        HttpResponse<String> answer =
            suite.http.send(
                java.net.http.HttpRequest.newBuilder(
                        java.net.URI.create("http://" + target + request[1]))
                    .method(request[0], java.net.http.HttpRequest.BodyPublishers.noBody())
                    .build(),
                HttpResponse.BodyHandlers.ofString());
        String what =
            target
                + " "
                + request[0]
                + " "
                + request[1]
                + ": "
                + answer.statusCode()
                + " "
                + answer.body();
        assertThat(answer.statusCode()).as(what).isBetween(400, 499);
        assertThat(answer.headers().firstValue("Content-Type"))
            .as(what)
            .hasValueSatisfying(type -> assertThat(type).startsWith("application/problem+json"));
        JsonNode problem = JSON.readTree(answer.body());
        assertThat(problem.get("status").asInt()).as(what).isEqualTo(answer.statusCode());
        assertThat(problem.get("title").asString()).as(what).isNotEmpty();
      }
    }
    HttpResponse<String> badErasure =
        suite.http.send(
            java.net.http.HttpRequest.newBuilder(
                    java.net.URI.create("http://" + targets.get(1) + "/actuator/erasure?docId=%20"))
                .GET()
                .build(),
            HttpResponse.BodyHandlers.ofString());
    assertThat(badErasure.statusCode()).isEqualTo(400);
    assertThat(badErasure.headers().firstValue("Content-Type"))
        .hasValueSatisfying(type -> assertThat(type).startsWith("application/problem+json"));
    String writerMetrics =
        suite
            .http
            .send(
                java.net.http.HttpRequest.newBuilder(
                        java.net.URI.create("http://" + targets.get(0) + "/actuator/prometheus"))
                    .GET()
                    .build(),
                HttpResponse.BodyHandlers.ofString())
            .body();
    assertThat(writerMetrics)
        .contains("featurestore_http_errors_total{kind=\"not_found\"")
        .contains("kind=\"bad_request\"");
  }

  @Test
  void unknownIdIs404AndInvalidIdIs400WithJsonBodies() throws Exception {
    HttpResponse<String> unknown = get("never-produced-" + UUID.randomUUID());
    assertThat(unknown.statusCode()).isEqualTo(404);
    assertThat(unknown.headers().firstValue("Content-Type"))
        .hasValueSatisfying(type -> assertThat(type).contains("json"));
    assertThat(JSON.readTree(unknown.body()).get("status").asInt()).isEqualTo(404);

    HttpResponse<String> tooLong = get("x".repeat(600));
    assertThat(tooLong.statusCode()).isEqualTo(400);
    assertThat(tooLong.headers().firstValue("Content-Type"))
        .hasValueSatisfying(type -> assertThat(type).contains("json"));
    assertThat(JSON.readTree(tooLong.body()).get("detail").stringValue())
        .contains("more than the limit");

    HttpResponse<String> control = get("bad\u0007id");
    assertThat(control.statusCode()).isEqualTo(400);
    assertThat(JSON.readTree(control.body()).get("detail").stringValue())
        .contains("control character");
  }

  @Test
  void maintenanceRacingTheWriterKeepsEveryKafkaOffsetOnceAndTheApiStillEqualsTheTable()
      throws Exception {
    String prefix = "maint-" + System.nanoTime() + "-";
    Map<String, String> offsets = new HashMap<>();
    List<java.util.concurrent.Future<org.apache.kafka.clients.producer.RecordMetadata>> sent =
        new java.util.ArrayList<>();
    int documents = 120;
    long commitsBefore = suite.count("featurestore.writer.commit.time");
    long started = System.nanoTime();
    java.util.concurrent.CompletableFuture<List<Integer>> maintenance =
        java.util.concurrent.CompletableFuture.supplyAsync(
            () -> {
              List<Integer> statuses = new java.util.ArrayList<>();
              for (int run = 0; run < 3; run++) {
                statuses.add(suite.maintain("{\"expireOlderThan\":\"0s\"}").statusCode());
              }
              return statuses;
            });
    for (int i = 0; i < documents; i++) {
      String id = prefix + i;
      sent.add(
          suite.producer.send(
              new ProducerRecord<>(
                  "documents",
                  id,
                  document(id, "Document number " + i + " of a maintenance race."))));
      if (i % 10 == 9) {
        // a deletion now and then: compaction must keep it the id's newest row
        String erased = prefix + (i - 5);
        sent.add(suite.producer.send(new ProducerRecord<>("documents", erased, null)));
      }
      Thread.sleep(25);
    }
    suite.producer.flush();
    for (var future : sent) {
      var metadata = future.get();
      offsets.put(metadata.partition() + "/" + metadata.offset(), "");
    }
    assertThat(maintenance.get(120, java.util.concurrent.TimeUnit.SECONDS))
        .as("maintenance runs")
        .containsOnly(200);
    awaitServed(prefix + (documents - 1));
    // paced: one commit per interval at most (plus the first, and any commit of another test's
    // record), not one per poll
    long elapsedMillis = Duration.ofNanos(System.nanoTime() - started).toMillis() + 1000;
    long interval =
        suite
            .bean(dev.featurestore.writer.WriterProperties.class)
            .writer()
            .commitInterval()
            .toMillis();
    assertThat(suite.count("featurestore.writer.commit.time") - commitsBefore)
        .as(
            "writer commits for %d records in %d ms at one per %d ms",
            sent.size(), elapsedMillis, interval)
        .isLessThanOrEqualTo(elapsedMillis / interval + 3);
    HttpResponse<String> last = suite.maintain("{\"expireOlderThan\":\"0s\"}");
    assertThat(last.statusCode()).isEqualTo(200);
    assertThat(JSON.readTree(last.body()).get("table").get("snapshots").asInt())
        .as("expired down to the checkpoint")
        .isLessThan(10);

    Map<String, Integer> rowsPerOffset = new HashMap<>();
    Map<String, FeatureRow> newest = new HashMap<>();
    CatalogSettings settings = suite.catalog;
    Catalog catalog = settings.load(suite.stateDir);
    Table table = catalog.loadTable(FeatureTable.identifier(settings.table()));
    try (CloseableIterable<Record> records = IcebergGenerics.read(table).build()) {
      for (Record record : records) {
        String docId = (String) record.getField(FeatureTable.DOC_ID);
        if (docId.startsWith(prefix)) {
          rowsPerOffset.merge(
              record.getField(FeatureTable.KAFKA_PARTITION)
                  + "/"
                  + record.getField(FeatureTable.KAFKA_OFFSET),
              1,
              Integer::sum);
          // the newest row of an id: a deletion supersedes the rows committed before it
          newest.merge(
              docId,
              FeatureTable.fromRecord(record),
              (a, b) -> a.processedAt().isAfter(b.processedAt()) ? a : b);
        }
      }
    }
    if (catalog instanceof AutoCloseable closeable) {
      closeable.close();
    }
    assertThat(rowsPerOffset.values())
        .as("no Kafka record twice in the table")
        .allMatch(count -> count == 1);
    assertThat(offsets.keySet())
        .as("every live row comes from a record we sent")
        .containsAll(rowsPerOffset.keySet());
    int erased = documents / 10;
    assertThat(newest.values().stream().filter(row -> !row.deleted()))
        .as("every document but the deleted ones")
        .hasSize(documents - erased);
    assertThat(newest.values().stream().filter(FeatureRow::deleted))
        .as("each deletion, kept as history")
        .hasSize(erased);
    for (int i = 0; i < documents; i++) {
      String id = prefix + i;
      FeatureRow row = newest.get(id);
      if (row == null || row.deleted()) {
        assertThat(awaitStatus(id, 404)).as("tombstoned %s", id).isEqualTo(404);
      } else {
        assertThat(embedding(awaitServed(id)))
            .as("served %s equals the table", id)
            .containsExactly(row.embedding());
      }
    }
  }

  private static int awaitStatus(String docId, int status) throws Exception {
    long deadline = System.nanoTime() + SERVED_WITHIN.toNanos();
    int last = -1;
    while (System.nanoTime() < deadline) {
      last = get(docId).statusCode();
      if (last == status) {
        return last;
      }
      Thread.sleep(100);
    }
    return last;
  }

  private static byte[] document(String id, String text) {
    return LocalSuite.document(id, text);
  }

  private static void send(String key, byte[] value) {
    try {
      suite.producer.send(new ProducerRecord<>("documents", key, value)).get(30, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError("interrupted sending " + key, e);
    } catch (ExecutionException | TimeoutException e) {
      throw new AssertionError("Kafka did not take record " + key, e);
    }
  }

  private static HttpResponse<String> get(String docId) throws IOException, InterruptedException {
    return suite.get(docId);
  }

  private JsonNode sendAndAwaitServed(String id, String text) throws Exception {
    send(id, document(id, text));
    suite.producer.flush();
    return awaitServed(id);
  }

  private static JsonNode awaitServed(String docId) throws Exception {
    long deadline = System.nanoTime() + SERVED_WITHIN.toNanos();
    HttpResponse<String> response = null;
    while (System.nanoTime() < deadline) {
      response = get(docId);
      if (response.statusCode() == 200) {
        return JSON.readTree(response.body());
      }
      Thread.sleep(100);
    }
    throw new AssertionError(
        "doc "
            + docId
            + " not served within "
            + SERVED_WITHIN
            + "; last answer: "
            + (response == null ? null : response.statusCode() + " " + response.body()));
  }

  private static float[] embedding(JsonNode body) {
    JsonNode values = body.get("embedding");
    float[] embedding = new float[values.size()];
    for (int i = 0; i < embedding.length; i++) {
      // parse the JSON text as a float, as a client would
      embedding[i] = Float.parseFloat(values.get(i).asString());
    }
    return embedding;
  }

  private static Map<String, FeatureRow> readTable() throws IOException {
    CatalogSettings settings = suite.catalog;
    Catalog catalog = settings.load(suite.stateDir);
    Table table = catalog.loadTable(FeatureTable.identifier(settings.table()));
    Map<String, FeatureRow> rows = new HashMap<>();
    try (CloseableIterable<Record> records = IcebergGenerics.read(table).build()) {
      for (Record record : records) {
        FeatureRow row = FeatureTable.fromRecord(record);
        rows.put(row.docId(), row);
      }
    }
    if (catalog instanceof AutoCloseable closeable) {
      try {
        closeable.close();
      } catch (Exception e) {
        throw new IOException(e);
      }
    }
    return rows;
  }

  private static Map<String, ConsumerRecord<String, byte[]>> awaitDeadLetters(List<String> keys) {
    Properties config = new Properties();
    config.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, suite.kafka.getBrokersAsString());
    config.put(ConsumerConfig.GROUP_ID_CONFIG, "e2e-dlq-" + UUID.randomUUID());
    config.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
    config.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class);
    config.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class);
    Map<String, ConsumerRecord<String, byte[]>> found = new HashMap<>();
    try (KafkaConsumer<String, byte[]> consumer = new KafkaConsumer<>(config)) {
      consumer.subscribe(List.of("documents.dlq"));
      long deadline = System.nanoTime() + SERVED_WITHIN.toNanos();
      while (System.nanoTime() < deadline && !found.keySet().containsAll(keys)) {
        for (ConsumerRecord<String, byte[]> record : consumer.poll(Duration.ofMillis(200))) {
          if (keys.contains(record.key())) {
            found.put(record.key(), record);
          }
        }
      }
    }
    assertThat(found.keySet()).containsExactlyInAnyOrderElementsOf(keys);
    return found;
  }

  private static String header(ConsumerRecord<String, byte[]> record, String name) {
    return new String(record.headers().lastHeader(name).value(), StandardCharsets.UTF_8);
  }
}
