package dev.featurestore.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.yaml.snakeyaml.Yaml;

/**
 * The Prometheus alert rules are valid ({@code promtool check rules}) and fire exactly when their
 * unit tests say ({@code promtool test rules ops/prometheus/alerts.test.yml}). promtool comes from
 * Debian's {@code prometheus} package, which {@code ./featurestore test} installs.
 */
class AlertRulesTest {

  static final Path RULES_DIR = Path.of("..", "ops", "prometheus");

  @Test
  void rulesAreValid() throws Exception {
    String output = promtool("check", "rules", "alerts.yml");
    assertThat(output).contains("SUCCESS: " + expressions().size() + " rules found");
  }

  @Test
  void everyRuleQueriesMetricsThisRepositoryExports() throws Exception {
    assertThat(expressions().keySet())
        .contains(
            "FeaturestoreReplicationLagHigh",
            "FeaturestoreReplicatorWithoutLeader",
            "FeaturestoreDeadLetterSpike",
            "FeaturestoreServingP99OverBudget",
            "FeaturestoreMemcachedUnreachable",
            "FeaturestoreWriterStalled");
    assertThat(metricNames())
        .isNotEmpty()
        .allSatisfy(
            name ->
                assertThat(name)
                    .matches("featurestore_[a-z_]+|http_server_requests_seconds_(bucket|count)"));
  }

  @Test
  void everyAlertFiresWhenItsUnitTestsSay() throws Exception {
    String output = promtool("test", "rules", "alerts.test.yml");
    assertThat(output).contains("SUCCESS");
  }

  /** The expression of every rule, by alert name. */
  @SuppressWarnings("unchecked")
  static Map<String, String> expressions() throws IOException {
    Map<String, String> expressions = new LinkedHashMap<>();
    try (Reader reader =
        Files.newBufferedReader(RULES_DIR.resolve("alerts.yml"), StandardCharsets.UTF_8)) {
      Map<String, Object> file = new Yaml().load(reader);
      for (Map<String, Object> group : (List<Map<String, Object>>) file.get("groups")) {
        for (Map<String, Object> rule : (List<Map<String, Object>>) group.get("rules")) {
          expressions.put(
              String.valueOf(rule.getOrDefault("alert", rule.get("record"))),
              String.valueOf(rule.get("expr")));
        }
      }
    }
    return expressions;
  }

  /** The metric names the rules' expressions query. */
  static Set<String> metricNames() throws IOException {
    Set<String> names = new TreeSet<>();
    expressions().values().forEach(expression -> names.addAll(PromQl.metricNames(expression)));
    return names;
  }

  static String promtool(String... args) throws IOException, InterruptedException {
    List<String> command = new java.util.ArrayList<>(List.of("promtool"));
    command.addAll(List.of(args));
    Process process =
        new ProcessBuilder(command).directory(RULES_DIR.toFile()).redirectErrorStream(true).start();
    String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(process.waitFor(60, TimeUnit.SECONDS)).as("promtool finished").isTrue();
    assertThat(process.exitValue()).as("promtool %s:%n%s", String.join(" ", args), output).isZero();
    return output;
  }
}
