package dev.featurestore.serving.features;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import dev.featurestore.api.OnlineFeature;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The answer to a batch lookup: one result per requested id, in request order (a repeated id is
 * answered at each of its positions), each marked found or not.
 */
public record BatchResponse(
    @JsonProperty("results") List<Result> results,
    @JsonProperty("found") int found,
    @JsonProperty("missing") int missing) {

  /** One requested id; {@code feature} is present only when found. */
  @JsonInclude(JsonInclude.Include.NON_NULL)
  public record Result(
      @JsonProperty("doc_id") String docId,
      @JsonProperty("found") boolean found,
      @JsonProperty("feature") FeatureResponse feature) {}

  static BatchResponse of(List<String> requested, Map<String, Optional<OnlineFeature>> answers) {
    List<Result> results = new ArrayList<>(requested.size());
    int found = 0;
    for (String docId : requested) {
      Optional<OnlineFeature> answer = answers.get(docId);
      if (answer.isPresent()) {
        found++;
        results.add(new Result(docId, true, FeatureResponse.of(answer.get())));
      } else {
        results.add(new Result(docId, false, null));
      }
    }
    return new BatchResponse(List.copyOf(results), found, requested.size() - found);
  }
}
