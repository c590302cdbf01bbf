package dev.featurestore.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class PromQlTest {

  @Test
  void findsSelectedMetricsButNotFunctionsLabelsKeywordsOrNumbers() {
    assertThat(
            PromQl.metricNames(
                "histogram_quantile(0.99, sum by (le) (rate(http_server_requests_seconds_bucket{service=\"serving-api\", uri=~\"/v1/.*\"}[5m]))) > 0.010"))
        .containsExactly("http_server_requests_seconds_bucket");
    assertThat(PromQl.metricNames("(sum(featurestore_replicator_leader) or vector(0)) < 1"))
        .containsExactly("featurestore_replicator_leader");
    assertThat(
            PromQl.metricNames(
                "sum(rate(a_total{kind=\"x{y}\"}[1m])) > 1 / 60 and sum without (instance) (rate(b_total[5m] offset 1h)) > 0.01 * on (job) group_left (reason) c"))
        .containsExactly("a_total", "b_total", "c");
    assertThat(
            PromQl.metricNames("max by (table) (lag_seconds{table=~\".*\"}) > bool 1e3 unless Inf"))
        .containsExactly("lag_seconds");
  }
}
