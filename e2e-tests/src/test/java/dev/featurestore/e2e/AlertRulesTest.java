package dev.featurestore.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * The Prometheus alert rules are valid ({@code promtool check rules}) and fire exactly when their unit tests say
 * ({@code promtool test rules ops/prometheus/alerts.test.yml}). promtool comes from Debian's {@code prometheus}
 * package, which {@code ./featurestore test} installs.
 */
class AlertRulesTest {

  static final Path RULES_DIR = Path.of("..", "ops", "prometheus");
  private static final Pattern METRIC = Pattern.compile("\\b(featurestore_[a-z_]+|http_server_requests_seconds_bucket)\\b");

  @Test
  void rulesAreValid() throws Exception {
    String output = promtool("check", "rules", "alerts.yml");
    assertThat(output).contains("SUCCESS: 6 rules found");
  }

  @Test
  void everyAlertFiresWhenItsUnitTestsSay() throws Exception {
    String output = promtool("test", "rules", "alerts.test.yml");
    assertThat(output).contains("SUCCESS");
  }

  /** The metric names the rules' expressions query. */
  static Set<String> metricNames() throws IOException {
    Set<String> names = new TreeSet<>();
    for (String line : Files.readAllLines(RULES_DIR.resolve("alerts.yml"), StandardCharsets.UTF_8)) {
      String trimmed = line.strip();
      if (trimmed.startsWith("#") || trimmed.startsWith("summary:") || trimmed.startsWith("description:")) {
        continue;
      }
      Matcher m = METRIC.matcher(trimmed);
      while (m.find()) {
        names.add(m.group(1));
      }
    }
    return names;
  }

  private static String promtool(String... args) throws IOException, InterruptedException {
    List<String> command = new java.util.ArrayList<>(List.of("promtool"));
    command.addAll(List.of(args));
    Process process = new ProcessBuilder(command).directory(RULES_DIR.toFile()).redirectErrorStream(true).start();
    String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(process.waitFor(60, TimeUnit.SECONDS)).as("promtool finished").isTrue();
    assertThat(process.exitValue()).as("promtool %s:%n%s", String.join(" ", args), output).isZero();
    return output;
  }
}
