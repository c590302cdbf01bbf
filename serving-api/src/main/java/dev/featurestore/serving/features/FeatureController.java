package dev.featurestore.serving.features;

import dev.featurestore.serving.ServingProperties;
import java.util.List;
import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;
import org.springframework.http.ProblemDetail;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestHeader;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;
import org.springframework.web.server.ResponseStatusException;

/**
 * Feature lookups by doc id: JSON by default, {@link FeatureBinaryConverter the binary
 * representation} by content negotiation. Errors are problem documents (see {@link
 * FeatureProblems}).
 */
@RestController
class FeatureController {

  private final FeatureLookup lookup;
  private final ServingProperties.Lookups limits;

  FeatureController(FeatureLookup lookup, ServingProperties properties) {
    this.lookup = lookup;
    this.limits = properties.lookups();
  }

  @GetMapping(
      path = "/v1/features/{docId}",
      produces = {MediaType.APPLICATION_JSON_VALUE, FeatureBinaryConverter.MEDIA_TYPE_VALUE})
  FeatureResponse get(
      @PathVariable String docId,
      @RequestHeader(name = Deadline.HEADER, required = false) String deadline) {
    return lookup
        .find(docId, Deadline.of(deadline, limits))
        .map(FeatureResponse::of)
        .orElseThrow(() -> new FeatureNotFoundException(docId));
  }

  /**
   * The same lookup with the id as a query parameter: any id, also {@code .} or {@code ..}, fits
   * here unchanged.
   */
  @GetMapping(
      path = "/v1/features",
      produces = {MediaType.APPLICATION_JSON_VALUE, FeatureBinaryConverter.MEDIA_TYPE_VALUE})
  FeatureResponse getByQuery(
      @RequestParam("doc_id") String docId,
      @RequestHeader(name = Deadline.HEADER, required = false) String deadline) {
    return get(docId, deadline);
  }

  @PostMapping(
      path = "/v1/features:batchGet",
      consumes = MediaType.APPLICATION_JSON_VALUE,
      produces = {MediaType.APPLICATION_JSON_VALUE, FeatureBinaryConverter.MEDIA_TYPE_VALUE})
  BatchResponse batchGet(
      @RequestBody BatchRequest request,
      @RequestHeader(name = Deadline.HEADER, required = false) String deadline) {
    List<String> docIds = request.docIds();
    return BatchResponse.of(docIds, lookup.findAll(docIds, Deadline.of(deadline, limits)));
  }

  /** No feature for this id in the online store. */
  static final class FeatureNotFoundException extends ResponseStatusException {
    FeatureNotFoundException(String docId) {
      super(HttpStatus.NOT_FOUND, "no feature for doc id " + docId);
      ProblemDetail body = getBody();
      body.setTitle("Feature not found");
      body.setProperty("doc_id", docId);
    }
  }
}
