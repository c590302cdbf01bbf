package dev.featurestore.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.Reader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.yaml.snakeyaml.Yaml;
import tools.jackson.databind.JsonNode;

/**
 * Static checks of the dashboard and Grafana's provisioning files (Grafana itself is not
 * installable here): the panels the operations guide promises exist, every query uses the
 * provisioned datasource and only defined variables, and the layout fits the grid. That Prometheus
 * has data for every query is {@code WalkingSkeletonIT}'s.
 */
class GrafanaDashboardTest {

  private static final Pattern VARIABLE = Pattern.compile("\\$(\\w+)|\\$\\{(\\w+)}");
  private static final Set<String> GRAFANA_VARIABLES =
      Set.of("__rate_interval", "__interval", "__range");

  @Test
  void coversWhatOperatorsWatch() throws IOException {
    Set<String> metrics = GrafanaDashboard.metricNames();
    assertThat(metrics)
        .contains(
            "featurestore_replicator_lag_seconds",
            "featurestore_replicator_lag_snapshots",
            "featurestore_writer_freshness_seconds_bucket",
            "featurestore_writer_records_in_total",
            "featurestore_writer_records_dead_lettered_total",
            "featurestore_writer_consumer_lag_records",
            "http_server_requests_seconds_bucket",
            "featurestore_serving_lookups_total",
            "featurestore_serving_errors_total",
            "featurestore_memcached_available",
            "featurestore_replicator_rewarms_total",
            "featurestore_replicator_leader");
    String expressions =
        String.join(
            "\n",
            GrafanaDashboard.queries().stream().map(GrafanaDashboard.Query::expression).toList());
    assertThat(expressions)
        .contains(
            "histogram_quantile(0.5,", "histogram_quantile(0.99,", "histogram_quantile(0.999,");
  }

  @Test
  void everyPanelQueriesTheProvisionedDatasourceWithDefinedVariables() throws IOException {
    String datasource = provisionedDatasourceUid();
    Set<String> defined = new HashSet<>(GRAFANA_VARIABLES);
    GrafanaDashboard.json()
        .at("/templating/list")
        .forEach(variable -> defined.add(variable.get("name").asString()));
    List<JsonNode> panels = GrafanaDashboard.panels();
    assertThat(panels).hasSizeGreaterThanOrEqualTo(12);
    for (JsonNode panel : panels) {
      String title = panel.get("title").asString();
      assertThat(panel.at("/datasource/uid").asString())
          .as("datasource of panel %s", title)
          .isEqualTo(datasource);
      assertThat(panel.get("targets")).as("targets of panel %s", title).isNotEmpty();
      Set<String> refIds = new HashSet<>();
      for (JsonNode target : panel.get("targets")) {
        assertThat(refIds.add(target.get("refId").asString()))
            .as("refIds of panel %s are unique", title)
            .isTrue();
        String expression = target.get("expr").asString();
        assertThat(expression).as("query of panel %s", title).isNotBlank();
        Matcher variable = VARIABLE.matcher(expression);
        while (variable.find()) {
          String name = variable.group(1) != null ? variable.group(1) : variable.group(2);
          assertThat(defined).as("variable $%s in panel %s", name, title).contains(name);
        }
      }
    }
    for (JsonNode variable : GrafanaDashboard.json().at("/templating/list")) {
      assertThat(variable.at("/datasource/uid").asString())
          .as("datasource of variable %s", variable.get("name"))
          .isEqualTo(datasource);
    }
  }

  @Test
  void panelsHaveUniqueIdsAndDoNotOverlapOnTheGrid() throws IOException {
    Set<Integer> ids = new HashSet<>();
    List<int[]> boxes = new ArrayList<>();
    for (JsonNode panel : GrafanaDashboard.json().get("panels")) {
      assertThat(ids.add(panel.get("id").asInt()))
          .as("panel id %s is unique", panel.get("id"))
          .isTrue();
      JsonNode grid = panel.get("gridPos");
      int x = grid.get("x").asInt();
      int y = grid.get("y").asInt();
      int w = grid.get("w").asInt();
      int h = grid.get("h").asInt();
      assertThat(x + w)
          .as("panel %s fits the 24 columns", panel.get("title"))
          .isLessThanOrEqualTo(24);
      for (int[] other : boxes) {
        boolean overlaps =
            x < other[0] + other[2]
                && other[0] < x + w
                && y < other[1] + other[3]
                && other[1] < y + h;
        assertThat(overlaps).as("panel %s overlaps another", panel.get("title")).isFalse();
      }
      boxes.add(new int[] {x, y, w, h});
    }
  }

  @Test
  void theDashboardProviderLoadsFromWhereComposeMountsTheDashboards() throws IOException {
    Map<String, Object> provider =
        firstOf(
            yaml(GrafanaDashboard.GRAFANA_DIR.resolve("provisioning/dashboards/featurestore.yml")),
            "providers");
    @SuppressWarnings("unchecked")
    String path = String.valueOf(((Map<String, Object>) provider.get("options")).get("path"));
    assertThat(DockerComposeFileTest.mountsOf("grafana"))
        .containsEntry(path, "./ops/grafana/dashboards");
    assertThat(GrafanaDashboard.json().get("uid").asString()).isNotBlank();
  }

  /**
   * The uid of the provisioned Prometheus datasource; its URL names the compose service that runs
   * Prometheus.
   */
  static String provisionedDatasourceUid() throws IOException {
    Map<String, Object> datasource =
        firstOf(
            yaml(GrafanaDashboard.GRAFANA_DIR.resolve("provisioning/datasources/prometheus.yml")),
            "datasources");
    assertThat(datasource).containsEntry("type", "prometheus");
    assertThat(String.valueOf(datasource.get("url"))).isEqualTo("http://prometheus:9090");
    return String.valueOf(datasource.get("uid"));
  }

  private static Map<String, Object> yaml(Path file) throws IOException {
    try (Reader reader = Files.newBufferedReader(file)) {
      return new Yaml().load(reader);
    }
  }

  @SuppressWarnings("unchecked")
  private static Map<String, Object> firstOf(Map<String, Object> file, String list) {
    assertThat(file.get("apiVersion")).isEqualTo(1);
    List<Map<String, Object>> entries = (List<Map<String, Object>>) file.get(list);
    assertThat(entries).as(list).hasSize(1);
    return entries.get(0);
  }
}
