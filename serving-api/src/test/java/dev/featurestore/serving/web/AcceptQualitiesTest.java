package dev.featurestore.serving.web;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;
import org.springframework.http.MediaType;

class AcceptQualitiesTest {

  private static final MediaType JSON = MediaType.APPLICATION_JSON;
  private static final MediaType BINARY =
      MediaType.parseMediaType("application/vnd.featurestore.embeddings");

  private static double quality(String accept, MediaType type) {
    return AcceptQualities.quality(MediaType.parseMediaTypes(accept), type);
  }

  @Test
  void theMostSpecificMatchingRangeDecidesNotTheHighestQuality() {
    assertThat(quality("application/json;q=0, */*", JSON)).isZero();
    assertThat(quality("application/json;q=0, */*", BINARY)).isEqualTo(1.0);
    assertThat(quality("application/*;q=0.2, application/json;q=0.9", JSON)).isEqualTo(0.9);
    assertThat(quality("application/*;q=0.2, application/json;q=0.9", BINARY)).isEqualTo(0.2);
  }

  @Test
  void aTypeNoRangeMatchesIsNotAcceptable() {
    assertThat(quality("text/html", JSON)).isZero();
    assertThat(quality("*/*;q=0", JSON)).isZero();
    assertThat(quality("application/json", JSON)).isEqualTo(1.0);
  }
}
