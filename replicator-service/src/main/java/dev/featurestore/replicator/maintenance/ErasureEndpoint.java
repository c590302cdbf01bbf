package dev.featurestore.replicator.maintenance;

import dev.featurestore.spring.web.ErrorMetric;
import java.util.LinkedHashMap;
import java.util.Map;
import org.springframework.boot.actuate.endpoint.annotation.Endpoint;
import org.springframework.boot.actuate.endpoint.annotation.ReadOperation;
import org.springframework.boot.actuate.endpoint.web.WebEndpointResponse;

/**
 * {@code GET /actuator/erasure?docId=ID}: where a doc id still exists in the offline store ({@code
 * ./featurestore erase --verify ID}); 400 for an invalid id.
 */
@Endpoint(id = "erasure")
public final class ErasureEndpoint {

  private final ErasureCheck check;
  private final EndpointProblems problems;

  public ErasureEndpoint(ErasureCheck check, ErrorMetric errors) {
    this.check = check;
    this.problems = new EndpointProblems(errors);
  }

  @ReadOperation
  public synchronized WebEndpointResponse<Map<String, Object>> verify(String docId) {
    ErasureCheck.Report report;
    try {
      report = check.check(docId);
    } catch (IllegalArgumentException e) {
      return problems.problem(
          WebEndpointResponse.STATUS_BAD_REQUEST,
          "Invalid doc id",
          "invalid-doc-id",
          e.getMessage());
    }
    Map<String, Object> body = new LinkedHashMap<>();
    body.put("doc_id", report.docId());
    body.put("erased", report.erased());
    body.put("live_rows", report.liveRows());
    body.put("data_files", report.dataFiles());
    body.put("delete_files", report.deleteFiles());
    body.put("text", report.toText());
    return new WebEndpointResponse<>(body);
  }
}
