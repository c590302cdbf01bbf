package dev.featurestore.e2e;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import tools.jackson.databind.JsonNode;

/**
 * The provisioned Grafana dashboard (ops/grafana/dashboards/featurestore.json) and the queries of
 * its panels.
 */
final class GrafanaDashboard {

  static final Path GRAFANA_DIR = Path.of("..", "ops", "grafana");
  static final Path FILE = GRAFANA_DIR.resolve("dashboards").resolve("featurestore.json");

  /**
   * One panel query; {@code expression} as Prometheus evaluates it once Grafana filled in its
   * variables.
   */
  record Query(String panel, String expression) {}

  private GrafanaDashboard() {}

  static JsonNode json() throws IOException {
    return LocalSuite.JSON.readTree(Files.readString(FILE));
  }

  /** Every panel that is not a row. */
  static List<JsonNode> panels() throws IOException {
    List<JsonNode> panels = new ArrayList<>();
    for (JsonNode panel : json().get("panels")) {
      if (!"row".equals(panel.path("type").asString())) {
        panels.add(panel);
      }
    }
    return panels;
  }

  /**
   * The queries of every panel, with Grafana's variables replaced as Grafana would for "All tables"
   * and a short dashboard range: {@code $table} by {@code .*}, {@code $__rate_interval} by {@code
   * 1m}.
   */
  static List<Query> queries() throws IOException {
    List<Query> queries = new ArrayList<>();
    for (JsonNode panel : panels()) {
      for (JsonNode target : panel.get("targets")) {
        String expression =
            target.get("expr").asString().replace("$table", ".*").replace("$__rate_interval", "1m");
        queries.add(new Query(panel.get("title").asString(), expression));
      }
    }
    return queries;
  }

  /** The metric names the panels and the template variables query. */
  static Set<String> metricNames() throws IOException {
    Set<String> names = new TreeSet<>();
    queries().forEach(query -> names.addAll(PromQl.metricNames(query.expression())));
    for (JsonNode variable : json().at("/templating/list")) {
      // label_values(metric, label) is Grafana's, not PromQL: its first argument is the metric
      String definition = variable.path("definition").asString();
      if (definition.startsWith("label_values(")) {
        names.add(definition.substring("label_values(".length()).split("[,){]")[0].strip());
      }
    }
    return names;
  }
}
