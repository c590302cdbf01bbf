package dev.featurestore.serving.features;

import dev.featurestore.common.DocIds;
import java.net.URI;
import org.springframework.http.HttpStatus;
import org.springframework.http.ProblemDetail;
import org.springframework.web.bind.annotation.ExceptionHandler;
import org.springframework.web.bind.annotation.RestControllerAdvice;
import org.springframework.web.servlet.mvc.method.annotation.ResponseEntityExceptionHandler;

/** Every error is an RFC 9457 problem document ({@code application/problem+json}), never a stack trace. */
@RestControllerAdvice
class FeatureProblems extends ResponseEntityExceptionHandler {

  @ExceptionHandler(DocIds.InvalidDocIdException.class)
  ProblemDetail invalidDocId(DocIds.InvalidDocIdException e) {
    ProblemDetail problem = ProblemDetail.forStatusAndDetail(HttpStatus.BAD_REQUEST, e.getMessage());
    problem.setTitle("Invalid doc id");
    problem.setType(URI.create("https://featurestore.dev/problems/invalid-doc-id"));
    problem.setProperty("reason", e.reason());
    return problem;
  }

  @ExceptionHandler(FeatureLookup.OnlineStoreUnavailableException.class)
  ProblemDetail unavailable(FeatureLookup.OnlineStoreUnavailableException e) {
    ProblemDetail problem = ProblemDetail.forStatusAndDetail(HttpStatus.SERVICE_UNAVAILABLE, e.getMessage());
    problem.setTitle("Online store unavailable");
    return problem;
  }
}
