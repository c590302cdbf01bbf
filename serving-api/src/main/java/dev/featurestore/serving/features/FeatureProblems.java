package dev.featurestore.serving.features;

import dev.featurestore.common.DocIds;
import dev.featurestore.serving.web.RequestLimits;
import io.micrometer.core.instrument.MeterRegistry;
import java.net.URI;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpStatus;
import org.springframework.http.HttpStatusCode;
import org.springframework.http.ProblemDetail;
import org.springframework.http.ResponseEntity;
import org.springframework.http.converter.HttpMessageNotReadableException;
import org.springframework.web.bind.annotation.ExceptionHandler;
import org.springframework.web.bind.annotation.RestControllerAdvice;
import org.springframework.web.context.request.WebRequest;
import org.springframework.web.servlet.mvc.method.annotation.ResponseEntityExceptionHandler;

/**
 * Every error is an RFC 9457 problem document ({@code application/problem+json}), never a stack trace, and is
 * counted in {@code featurestore.serving.errors} by kind. Spring's own errors (bad JSON, 405, 406, 415) come
 * through the base class.
 */
@RestControllerAdvice
class FeatureProblems extends ResponseEntityExceptionHandler {

  private static final String TYPES = "https://featurestore.dev/problems/";

  private final MeterRegistry meters;

  FeatureProblems(MeterRegistry meters) {
    this.meters = meters;
  }

  @ExceptionHandler(DocIds.InvalidDocIdException.class)
  ProblemDetail invalidDocId(DocIds.InvalidDocIdException e) {
    count("invalid_doc_id");
    ProblemDetail problem = problem(HttpStatus.BAD_REQUEST, "Invalid doc id", "invalid-doc-id", e.getMessage());
    problem.setProperty("reason", e.reason());
    return problem;
  }

  @ExceptionHandler(FeatureLookup.InvalidBatchException.class)
  ProblemDetail invalidBatch(FeatureLookup.InvalidBatchException e) {
    count("invalid_batch");
    ProblemDetail problem = problem(HttpStatus.BAD_REQUEST, "Invalid batch", "invalid-batch", e.getMessage());
    if (!e.invalidIds().isEmpty()) {
      problem.setProperty("invalid_doc_ids", e.invalidIds());
    }
    return problem;
  }

  @ExceptionHandler(FeatureLookup.OnlineStoreUnavailableException.class)
  ResponseEntity<ProblemDetail> unavailable(FeatureLookup.OnlineStoreUnavailableException e) {
    count("unavailable");
    return ResponseEntity.status(HttpStatus.SERVICE_UNAVAILABLE)
        .header(HttpHeaders.RETRY_AFTER, "1")
        .body(problem(HttpStatus.SERVICE_UNAVAILABLE, "Online store unavailable", "unavailable", e.getMessage()));
  }

  @Override
  protected ResponseEntity<Object> handleHttpMessageNotReadable(
      HttpMessageNotReadableException e, HttpHeaders headers, HttpStatusCode status, WebRequest request) {
    if (RequestLimits.isTooLarge(e)) {
      ProblemDetail problem = RequestLimits.tooLarge();
      return handleExceptionInternal(e, problem, headers, HttpStatus.CONTENT_TOO_LARGE, request);
    }
    ProblemDetail problem = problem(HttpStatus.BAD_REQUEST, "Unreadable request body", "unreadable-body", "The body must be JSON like {\"doc_ids\": [\"a\", \"b\"]}");
    return handleExceptionInternal(e, problem, headers, status, request);
  }

  @Override
  protected ResponseEntity<Object> handleExceptionInternal(
      Exception e, Object body, HttpHeaders headers, HttpStatusCode status, WebRequest request) {
    count(kindOf(status));
    return super.handleExceptionInternal(e, body, headers, status, request);
  }

  private static String kindOf(HttpStatusCode status) {
    HttpStatus known = HttpStatus.resolve(status.value());
    return known == null ? "http_" + status.value() : known.name().toLowerCase(java.util.Locale.ROOT);
  }

  private void count(String kind) {
    meters.counter("featurestore.serving.errors", "kind", kind).increment();
  }

  static ProblemDetail problem(HttpStatus status, String title, String type, String detail) {
    ProblemDetail problem = ProblemDetail.forStatusAndDetail(status, detail);
    problem.setTitle(title);
    problem.setType(URI.create(TYPES + type));
    return problem;
  }
}
