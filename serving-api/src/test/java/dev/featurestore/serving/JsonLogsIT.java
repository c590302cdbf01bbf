package dev.featurestore.serving;

import static org.assertj.core.api.Assertions.assertThat;

import dev.featurestore.memcached.testing.MemcachedServer;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * The log switch of docker-compose.yml ({@code LOGGING_STRUCTURED_FORMAT_CONSOLE}, set from {@code
 * FEATURESTORE_LOG_FORMAT}): the service in a JVM of its own writes one JSON object per line with
 * {@code ecs}, and plain lines when the variable is empty (compose's default).
 */
class JsonLogsIT {

  private static final MemcachedServer MEMCACHED = MemcachedServer.start();
  private static final JsonMapper JSON = JsonMapper.builder().build();

  @AfterAll
  static void stopMemcached() {
    MEMCACHED.close();
  }

  @Test
  void ecsFormatWritesOneJsonObjectPerLine() throws Exception {
    List<String> lines = startupLog("ecs");
    assertThat(lines).isNotEmpty();
    for (String line : lines) {
      JsonNode event = JSON.readTree(line);
      assertThat(event.isObject()).as(line).isTrue();
      assertThat(
              event.has("@timestamp") && event.has("message") && event.at("/log/level").isString())
          .as(line)
          .isTrue();
    }
    assertThat(lines)
        .anySatisfy(
            line ->
                assertThat(JSON.readTree(line).get("message").asString())
                    .startsWith("Started ServingApplication"));
    assertThat(JSON.readTree(lines.get(0)).at("/service/name").asString()).isEqualTo("serving-api");
  }

  @Test
  void anEmptyFormatKeepsPlainLines() throws Exception {
    List<String> lines = startupLog("");
    assertThat(lines)
        .anySatisfy(
            line -> assertThat(line).contains("Started ServingApplication").doesNotStartWith("{"));
  }

  /**
   * Runs the service with the variable set until it has started; its standard output up to then.
   */
  private static List<String> startupLog(String format) throws IOException, InterruptedException {
    String classpath =
        String.join(
            java.io.File.pathSeparator,
            java.util.Arrays.stream(
                    System.getProperty("java.class.path").split(java.io.File.pathSeparator))
                .filter(entry -> !entry.endsWith("test-classes"))
                .toList());
    ProcessBuilder builder =
        new ProcessBuilder(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx256m",
                "-cp",
                classpath,
                ServingApplication.class.getName(),
                "--server.port=0",
                "--featurestore.http.port=0",
                "--featurestore.memcached.servers=" + MEMCACHED.address())
            .redirectErrorStream(true);
    builder.environment().put("LOGGING_STRUCTURED_FORMAT_CONSOLE", format);
    Process process = builder.start();
    List<String> lines = new ArrayList<>();
    try (BufferedReader out =
        new BufferedReader(
            new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
      String line;
      while (System.nanoTime() < deadline && (line = out.readLine()) != null) {
        if (!line.isBlank()) {
          lines.add(line);
        }
        if (line.contains("Started ServingApplication")) {
          return lines;
        }
      }
      throw new AssertionError(
          "the service did not start; its output:\n" + String.join("\n", lines));
    } finally {
      process.destroy();
      if (!process.waitFor(10, TimeUnit.SECONDS)) {
        process.destroyForcibly();
      }
    }
  }
}
