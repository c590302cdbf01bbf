package dev.featurestore.testing;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.function.Predicate;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * A service's actuator over HTTP, for tests that watch its readiness follow a dependency going away
 * and back.
 */
public final class Readiness {

  private static final JsonMapper JSON = JsonMapper.builder().build();
  private static final HttpClient HTTP = HttpClient.newHttpClient();

  private final String baseUrl;

  private Readiness(String baseUrl) {
    this.baseUrl = baseUrl;
  }

  /** The service at {@code http://127.0.0.1:port}. */
  public static Readiness onPort(int port) {
    return at("127.0.0.1:" + port);
  }

  /** The service at {@code http://host:port}. */
  public static Readiness at(String hostAndPort) {
    return new Readiness("http://" + hostAndPort);
  }

  /**
   * Polls {@code /actuator/health/readiness} until it answers {@code status} with a body that meets
   * {@code condition}, for up to two minutes; that body.
   */
  public JsonNode await(int status, Predicate<JsonNode> condition)
      throws IOException, InterruptedException {
    long deadline = System.nanoTime() + Duration.ofMinutes(2).toNanos();
    HttpResponse<String> response;
    do {
      response = get("/actuator/health/readiness");
      if (response.statusCode() == status && condition.test(JSON.readTree(response.body()))) {
        return JSON.readTree(response.body());
      }
      Thread.sleep(100);
    } while (System.nanoTime() < deadline);
    throw new AssertionError(
        "readiness did not become "
            + status
            + " as expected; last: "
            + response.statusCode()
            + " "
            + response.body());
  }

  public HttpResponse<String> get(String path) throws IOException, InterruptedException {
    return HTTP.send(
        HttpRequest.newBuilder(URI.create(baseUrl + path))
            .timeout(Duration.ofSeconds(30))
            .GET()
            .build(),
        HttpResponse.BodyHandlers.ofString());
  }
}
