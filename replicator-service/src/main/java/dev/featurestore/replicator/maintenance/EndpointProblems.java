package dev.featurestore.replicator.maintenance;

import dev.featurestore.spring.web.ErrorMetric;
import dev.featurestore.spring.web.ProblemJson;
import java.util.LinkedHashMap;
import java.util.Map;
import org.springframework.boot.actuate.endpoint.web.WebEndpointResponse;
import org.springframework.util.MimeType;

/**
 * The refusals of the operator endpoints, as the same counted problem documents as every other
 * error answer.
 */
final class EndpointProblems {

  private static final MimeType PROBLEM_JSON = MimeType.valueOf(ProblemJson.MEDIA_TYPE);

  private final ErrorMetric errors;

  EndpointProblems(ErrorMetric errors) {
    this.errors = errors;
  }

  WebEndpointResponse<Map<String, Object>> problem(
      int status, String title, String type, String detail) {
    errors.countStatus(status);
    Map<String, Object> body = new LinkedHashMap<>();
    body.put("type", ProblemJson.TYPES + type);
    body.put("title", title);
    body.put("status", status);
    body.put("detail", detail);
    return new WebEndpointResponse<>(body, status, PROBLEM_JSON);
  }
}
