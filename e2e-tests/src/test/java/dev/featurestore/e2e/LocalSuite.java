package dev.featurestore.e2e;

import dev.featurestore.iceberg.CatalogSettings;
import dev.featurestore.memcached.testing.MemcachedServer;
import dev.featurestore.replicator.ReplicatorApplication;
import dev.featurestore.serving.ServingApplication;
import dev.featurestore.testing.PostgresServer;
import dev.featurestore.writer.WriterApplication;
import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.springframework.boot.web.server.context.WebServerApplicationContext;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.kafka.test.EmbeddedKafkaKraftBroker;
import tools.jackson.databind.json.JsonMapper;

/**
 * The whole product in one JVM, through real parts only: an embedded KRaft Kafka broker, memcached
 * processes, an Iceberg table (JdbcCatalog, Parquet files), the real MiniLM weights, and the three
 * services. Either as {@code ./featurestore up} runs it (one memcached, SQLite catalog) or as
 * docker-compose.yml deploys it (two memcached servers, the catalog and the replicator's lease in
 * PostgreSQL).
 */
final class LocalSuite implements AutoCloseable {

  static final JsonMapper JSON = JsonMapper.builder().build();

  final EmbeddedKafkaKraftBroker kafka;
  final MemcachedServer memcached;
  private final MemcachedServer secondMemcached;
  private final PostgresServer postgres;
  final CatalogSettings catalog;
  final Path stateDir;
  final KafkaProducer<String, byte[]> producer;
  final HttpClient http = HttpClient.newHttpClient();
  private final ConfigurableApplicationContext writer;
  private final ConfigurableApplicationContext replicator;
  private final ConfigurableApplicationContext serving;
  private final String servingUrl;

  private LocalSuite(boolean likeCompose) throws IOException {
    this(likeCompose, new String[0], new String[0]);
  }

  private LocalSuite(boolean likeCompose, String[] writerSettings, String[] replicatorSettings)
      throws IOException {
    kafka = new EmbeddedKafkaKraftBroker(1, 3, "documents", "documents.dlq");
    // a single broker: the writer's transactional dead-letter producers need a replication factor
    // it can meet
    kafka.brokerProperties(
        Map.of(
            "transaction.state.log.replication.factor", "1", "transaction.state.log.min.isr", "1"));
    kafka.afterPropertiesSet();
    memcached = MemcachedServer.start();
    secondMemcached = likeCompose ? MemcachedServer.start() : null;
    postgres = likeCompose ? PostgresServer.start() : null;
    catalog =
        likeCompose
            ? new CatalogSettings(
                null,
                null,
                Map.of(
                    "uri",
                    postgres.createDatabase(),
                    "jdbc.user",
                    PostgresServer.USER,
                    "jdbc.password",
                    PostgresServer.PASSWORD))
            : CatalogSettings.defaults();
    stateDir = Files.createTempDirectory(Path.of("target"), "e2e-state-");
    String[] shared = {
      "--server.port=0",
      "--featurestore.state-dir=" + stateDir.toAbsolutePath(),
      "--spring.kafka.bootstrap-servers=" + kafka.getBrokersAsString(),
      "--featurestore.memcached.servers="
          + memcached.address()
          + (likeCompose ? "," + secondMemcached.address() : ""),
    };
    for (Map.Entry<String, String> property : catalog.properties().entrySet()) {
      shared =
          with(
              shared,
              "--featurestore.catalog.properties." + property.getKey() + "=" + property.getValue());
    }
    writer =
        WriterApplication.builder()
            .run(
                with(
                    with(
                        shared,
                        "--featurestore.embedding.cache-dir=target/model-cache",
                        "--featurestore.embedding.intra-op-threads="
                            + Integer.getInteger("bench.intra-op-threads", 0)),
                    writerSettings));
    replicator =
        ReplicatorApplication.builder()
            .run(
                with(
                    with(shared, "--featurestore.replicator.poll-interval=100ms"),
                    replicatorSettings));
    serving = ServingApplication.builder().run(with(shared, "--featurestore.http.port=0"));
    // the API's own port; health and metrics stay on the web server's (actuatorTargets)
    servingUrl =
        "http://127.0.0.1:" + serving.getEnvironment().getProperty("local.featurestore.http.port");
    Properties producerConfig = new Properties();
    producerConfig.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.getBrokersAsString());
    producerConfig.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class);
    producerConfig.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class);
    producerConfig.put(ProducerConfig.LINGER_MS_CONFIG, 0);
    producer = new KafkaProducer<>(producerConfig);
  }

  /** The {@code host:port} of each service's HTTP server (actuator included). */
  List<String> actuatorTargets() {
    List<String> targets = new java.util.ArrayList<>();
    for (ConfigurableApplicationContext context :
        new ConfigurableApplicationContext[] {writer, replicator, serving}) {
      targets.add("127.0.0.1:" + ((WebServerApplicationContext) context).getWebServer().getPort());
    }
    return targets;
  }

  /** Mean of a timer of one of the services, in milliseconds (NaN if it has not recorded yet). */
  double meanMillis(String timer, String... tags) {
    io.micrometer.core.instrument.Timer found = timer(timer, tags);
    return found == null ? Double.NaN : found.mean(java.util.concurrent.TimeUnit.MILLISECONDS);
  }

  /** How many times a timer of one of the services recorded (0 if it has not yet). */
  long count(String timer, String... tags) {
    io.micrometer.core.instrument.Timer found = timer(timer, tags);
    return found == null ? 0 : found.count();
  }

  private io.micrometer.core.instrument.Timer timer(String timer, String... tags) {
    for (ConfigurableApplicationContext context :
        new ConfigurableApplicationContext[] {writer, replicator, serving}) {
      io.micrometer.core.instrument.Timer found =
          context
              .getBean(io.micrometer.core.instrument.MeterRegistry.class)
              .find(timer)
              .tags(tags)
              .timer();
      if (found != null) {
        return found;
      }
    }
    return null;
  }

  /** As {@code ./featurestore up} runs it: one memcached, the catalog in SQLite. */
  static LocalSuite start() throws IOException {
    return new LocalSuite(false);
  }

  /**
   * As {@code ./featurestore up} runs it, with extra {@code --name=value} settings for the writer
   * and the replicator.
   */
  static LocalSuite start(String[] writerSettings, String[] replicatorSettings) throws IOException {
    return new LocalSuite(false, writerSettings, replicatorSettings);
  }

  /** A bean of one of the services. */
  <T> T bean(Class<T> type) {
    for (ConfigurableApplicationContext context :
        new ConfigurableApplicationContext[] {writer, replicator, serving}) {
      java.util.Map<String, T> beans = context.getBeansOfType(type);
      if (!beans.isEmpty()) {
        return beans.values().iterator().next();
      }
    }
    throw new IllegalArgumentException("No bean of " + type);
  }

  /**
   * As docker-compose.yml deploys it: two memcached servers, the catalog and the replicator's lease
   * in PostgreSQL.
   */
  static LocalSuite likeCompose() throws IOException {
    return new LocalSuite(true);
  }

  private static LocalSuite shared;

  /**
   * One compose-like suite for every integration test class of this module that asks for it,
   * started by the first and stopped when the test JVM exits: the services start once.
   */
  static synchronized LocalSuite sharedLikeCompose() throws IOException {
    if (shared == null) {
      LocalSuite suite = likeCompose();
      Runtime.getRuntime().addShutdownHook(new Thread(suite::close, "e2e-suite-stop"));
      shared = suite;
    }
    return shared;
  }

  static byte[] document(String id, String text) {
    return JSON.writeValueAsBytes(Map.of("doc_id", id, "text", text));
  }

  HttpResponse<String> get(String docId) throws IOException, InterruptedException {
    String path = URLEncoder.encode(docId, StandardCharsets.UTF_8).replace("+", "%20");
    return http.send(
        HttpRequest.newBuilder(URI.create(servingUrl + "/v1/features/" + path)).GET().build(),
        HttpResponse.BodyHandlers.ofString());
  }

  /** {@code POST /actuator/maintenance} on the replicator: table maintenance now. */
  HttpResponse<String> maintain(String body) {
    try {
      return http.send(
          HttpRequest.newBuilder(
                  URI.create("http://" + actuatorTargets().get(1) + "/actuator/maintenance"))
              .header("Content-Type", "application/json")
              .POST(HttpRequest.BodyPublishers.ofString(body))
              .build(),
          HttpResponse.BodyHandlers.ofString());
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  private static String[] with(String[] shared, String... more) {
    String[] all = new String[shared.length + more.length];
    System.arraycopy(shared, 0, all, 0, shared.length);
    System.arraycopy(more, 0, all, shared.length, more.length);
    return all;
  }

  @Override
  public void close() {
    producer.close();
    for (ConfigurableApplicationContext context :
        new ConfigurableApplicationContext[] {serving, replicator, writer}) {
      context.close();
    }
    memcached.close();
    if (secondMemcached != null) {
      secondMemcached.close();
    }
    if (postgres != null) {
      postgres.close();
    }
    kafka.destroy();
  }
}
