package dev.featurestore.serving.features;

import org.springframework.http.HttpStatus;
import org.springframework.http.ProblemDetail;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RestController;
import org.springframework.web.server.ResponseStatusException;

@RestController
@RequestMapping("/v1/features")
class FeatureController {

  private final FeatureLookup lookup;

  FeatureController(FeatureLookup lookup) {
    this.lookup = lookup;
  }

  @GetMapping("/{docId}")
  FeatureResponse get(@PathVariable String docId) {
    return lookup.find(docId).map(FeatureResponse::of).orElseThrow(() -> new FeatureNotFoundException(docId));
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
