package dev.featurestore.spring.web;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class ProblemJsonTest {

  @Test
  void detailsEchoingClientInputStayValidJson() {
    String json =
        ProblemJson.render(400, "Bad", "bad", "id \"a\\b\"\n\u0001 and a lone \ud800 surrogate");
    assertThat(json)
        .isEqualTo(
            "{\"type\":\"https://featurestore.dev/problems/bad\",\"title\":\"Bad\",\"status\":400,"
                + "\"detail\":\"id \\\"a\\\\b\\\"\\n\\u0001 and a lone \\ud800 surrogate\"}");
  }

  @Test
  void aStatusAloneGivesItsStandardTitleTypeAndMetricKind() {
    assertThat(ProblemJson.render(431, "too big"))
        .isEqualTo(
            "{\"type\":\"https://featurestore.dev/problems/request-header-fields-too-large\","
                + "\"title\":\"Request Header Fields Too Large\",\"status\":431,\"detail\":\"too big\"}");
    assertThat(ProblemJson.kind(408)).isEqualTo("request_timeout");
    assertThat(ProblemJson.kind(599)).isEqualTo("http_599");
  }
}
