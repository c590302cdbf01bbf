package dev.featurestore.e2e;

import dev.featurestore.testing.Ports;
import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import tools.jackson.databind.JsonNode;

/**
 * A real Prometheus (Debian's {@code prometheus} binary) on a free loopback port, scraping the
 * given targets every second with the alert rules of ops/prometheus loaded; owned by the test and
 * stopped with it.
 */
final class PrometheusServer implements AutoCloseable {

  private final Process process;
  private final String url;
  private final HttpClient http = HttpClient.newHttpClient();

  private PrometheusServer(Process process, String url) {
    this.process = process;
    this.url = url;
  }

  /** Starts Prometheus scraping {@code /actuator/prometheus} on each {@code host:port} target. */
  static PrometheusServer scraping(List<String> targets) throws IOException, InterruptedException {
    Path dir = Files.createTempDirectory(Path.of("target"), "prometheus-").toAbsolutePath();
    Path rules = AlertRulesTest.RULES_DIR.resolve("alerts.yml").toAbsolutePath().normalize();
    StringBuilder targetList = new StringBuilder();
    for (String target : targets) {
      targetList.append(targetList.isEmpty() ? "" : ", ").append('\'').append(target).append('\'');
    }
    Files.writeString(
        dir.resolve("prometheus.yml"),
        """
        global:
          scrape_interval: 1s
          evaluation_interval: 1s
        rule_files:
          - '%s'
        scrape_configs:
          - job_name: featurestore
            metrics_path: /actuator/prometheus
            static_configs:
              - targets: [%s]
        """
            .formatted(rules, targetList));
    int port = Ports.free();
    Process process =
        new ProcessBuilder(
                "prometheus",
                "--config.file=" + dir.resolve("prometheus.yml"),
                "--storage.tsdb.path=" + dir.resolve("data"),
                "--web.listen-address=127.0.0.1:" + port)
            .redirectErrorStream(true)
            .redirectOutput(dir.resolve("prometheus.log").toFile())
            .start();
    PrometheusServer server = new PrometheusServer(process, "http://127.0.0.1:" + port);
    server.awaitReady(dir.resolve("prometheus.log"));
    return server;
  }

  private void awaitReady(Path log) throws IOException, InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (System.nanoTime() < deadline) {
      if (!process.isAlive()) {
        throw new IllegalStateException(
            "prometheus exited with " + process.exitValue() + ":\n" + Files.readString(log));
      }
      try {
        if (get("/-/ready").statusCode() == 200) {
          return;
        }
      } catch (IOException notYet) {
        // not listening yet
      }
      Thread.sleep(100);
    }
    throw new IllegalStateException(
        "prometheus was not ready within 30 s:\n" + Files.readString(log));
  }

  /** The {@code data} of an HTTP API answer, e.g. {@code api("/api/v1/query", "up")}. */
  JsonNode api(String path, String query) throws IOException, InterruptedException {
    HttpResponse<String> response =
        get(
            path
                + (query == null
                    ? ""
                    : "?query=" + URLEncoder.encode(query, StandardCharsets.UTF_8)));
    JsonNode body = LocalSuite.JSON.readTree(response.body());
    if (response.statusCode() != 200 || !"success".equals(body.path("status").asString())) {
      throw new IllegalStateException(
          "Prometheus "
              + path
              + " "
              + query
              + " answered "
              + response.statusCode()
              + ": "
              + response.body());
    }
    return body.get("data");
  }

  private HttpResponse<String> get(String pathAndQuery) throws IOException, InterruptedException {
    return http.send(
        HttpRequest.newBuilder(URI.create(url + pathAndQuery))
            .timeout(Duration.ofSeconds(5))
            .GET()
            .build(),
        HttpResponse.BodyHandlers.ofString());
  }

  @Override
  public void close() {
    process.destroy();
    try {
      if (!process.waitFor(10, TimeUnit.SECONDS)) {
        process.destroyForcibly();
      }
    } catch (InterruptedException e) {
      process.destroyForcibly();
      Thread.currentThread().interrupt();
    }
  }
}
