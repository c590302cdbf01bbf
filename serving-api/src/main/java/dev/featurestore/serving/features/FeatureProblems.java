package dev.featurestore.serving.features;

import dev.featurestore.api.DocIds;
import dev.featurestore.spring.web.ErrorMetric;
import dev.featurestore.spring.web.ProblemJson;
import java.net.URI;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpStatus;
import org.springframework.http.HttpStatusCode;
import org.springframework.http.MediaType;
import org.springframework.http.ProblemDetail;
import org.springframework.http.ResponseEntity;
import org.springframework.http.converter.HttpMessageNotReadableException;
import org.springframework.web.bind.annotation.ExceptionHandler;
import org.springframework.web.bind.annotation.RestControllerAdvice;
import org.springframework.web.context.request.WebRequest;
import org.springframework.web.servlet.mvc.method.annotation.ResponseEntityExceptionHandler;

/**
 * Every error is an RFC 9457 problem document ({@code application/problem+json}), never a stack
 * trace, and is counted in {@code featurestore.serving.errors} by kind. Spring's own errors (bad
 * JSON, 405, 406, 415) come through the base class.
 */
@RestControllerAdvice
class FeatureProblems extends ResponseEntityExceptionHandler {

  private final ErrorMetric errors;

  FeatureProblems(ErrorMetric errors) {
    this.errors = errors;
  }

  @ExceptionHandler(DocIds.InvalidDocIdException.class)
  ResponseEntity<ProblemDetail> invalidDocId(DocIds.InvalidDocIdException e) {
    count("invalid_doc_id");
    ProblemDetail problem =
        problem(HttpStatus.BAD_REQUEST, "Invalid doc id", "invalid-doc-id", e.getMessage());
    problem.setProperty("reason", e.reason());
    return respond(problem).body(problem);
  }

  @ExceptionHandler(FeatureLookup.InvalidBatchException.class)
  ResponseEntity<ProblemDetail> invalidBatch(FeatureLookup.InvalidBatchException e) {
    count("invalid_batch");
    ProblemDetail problem =
        problem(HttpStatus.BAD_REQUEST, "Invalid batch", "invalid-batch", e.getMessage());
    if (!e.invalidIds().isEmpty()) {
      problem.setProperty("invalid_doc_ids", e.invalidIds());
    }
    return respond(problem).body(problem);
  }

  @ExceptionHandler(FeatureLookup.OnlineStoreUnavailableException.class)
  ResponseEntity<ProblemDetail> unavailable(FeatureLookup.OnlineStoreUnavailableException e) {
    String kind = e.kind().tag();
    count(kind);
    ProblemDetail problem =
        problem(
            HttpStatus.SERVICE_UNAVAILABLE,
            "Online store unavailable",
            kind.replace('_', '-'),
            e.getMessage());
    problem.setProperty("reason", kind);
    return respond(problem).header(HttpHeaders.RETRY_AFTER, "1").body(problem);
  }

  @ExceptionHandler(Deadline.InvalidDeadlineException.class)
  ResponseEntity<ProblemDetail> invalidDeadline(Deadline.InvalidDeadlineException e) {
    count("invalid_deadline");
    ProblemDetail problem =
        problem(HttpStatus.BAD_REQUEST, "Invalid deadline", "invalid-deadline", e.getMessage());
    return respond(problem).body(problem);
  }

  @Override
  protected ResponseEntity<Object> handleHttpMessageNotReadable(
      HttpMessageNotReadableException e,
      HttpHeaders headers,
      HttpStatusCode status,
      WebRequest request) {
    ProblemDetail problem =
        problem(
            HttpStatus.BAD_REQUEST,
            "Unreadable request body",
            "unreadable-body",
            "The body must be JSON like {\"doc_ids\": [\"a\", \"b\"]}");
    return handleExceptionInternal(e, problem, headers, status, request);
  }

  @Override
  protected ResponseEntity<Object> handleExceptionInternal(
      Exception e, Object body, HttpHeaders headers, HttpStatusCode status, WebRequest request) {
    errors.countStatus(status.value());
    HttpHeaders problemHeaders = new HttpHeaders();
    problemHeaders.putAll(headers);
    problemHeaders.setContentType(MediaType.APPLICATION_PROBLEM_JSON);
    return super.handleExceptionInternal(e, body, problemHeaders, status, request);
  }

  /**
   * The content type is set rather than negotiated: a problem is JSON whatever {@code Accept} asked
   * for (RFC 9110 allows that for errors), also when {@code Accept} is the error and cannot be
   * parsed.
   */
  private static ResponseEntity.BodyBuilder respond(ProblemDetail problem) {
    return ResponseEntity.status(problem.getStatus())
        .contentType(MediaType.APPLICATION_PROBLEM_JSON);
  }

  private void count(String kind) {
    errors.count(kind);
  }

  static ProblemDetail problem(HttpStatus status, String title, String type, String detail) {
    ProblemDetail problem = ProblemDetail.forStatusAndDetail(status, detail);
    problem.setTitle(title);
    problem.setType(URI.create(ProblemJson.TYPES + type));
    return problem;
  }
}
