package dev.featurestore.serving.web;

import static org.assertj.core.api.Assertions.assertThat;

import dev.featurestore.api.FeatureVersion;
import dev.featurestore.api.MemcachedKeyScheme;
import dev.featurestore.api.OnlineFeature;
import dev.featurestore.api.OnlineFeatureCodec;
import dev.featurestore.memcached.MemcachedClients;
import dev.featurestore.memcached.testing.MemcachedServer;
import dev.featurestore.testing.FeatureRows;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import net.spy.memcached.MemcachedClient;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * The serving port against hostile HTTP, byte for byte over raw sockets: every answer is the
 * documented status with a problem document (RFC 9457) and is counted in {@code
 * featurestore.serving.errors}, and clients that send their bodies slowly cannot starve the others.
 */
@SpringBootTest(
    webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
    properties = {"spring.config.name=serving-api", "featurestore.http.port=0"})
class HostileRequestsIT {

  private static final long BODY_TIMEOUT_MILLIS = 1500;
  private static final MemcachedServer MEMCACHED = MemcachedServer.start();
  private static final JsonMapper JSON = JsonMapper.builder().build();
  private static final List<String> STORED =
      List.of("doc-1", "../../etc", "a\\b", "https://example.com/a/b?c=d", "..", "%2F");

  @org.springframework.beans.factory.annotation.Value("${local.featurestore.http.port}")
  int port;

  @LocalServerPort int managementPort;
  @Autowired MemcachedClient memcached;
  @Autowired MeterRegistry meters;

  static {
    MemcachedServer.publishGeneration(1, MEMCACHED);
  }

  @DynamicPropertySource
  static void properties(DynamicPropertyRegistry registry) {
    registry.add("featurestore.memcached.servers", MEMCACHED::address);
    registry.add("featurestore.memcached.operation-timeout", () -> "500ms");
    registry.add("featurestore.hot-cache.staleness", () -> "0ms");
    registry.add("featurestore.request-body-timeout", () -> BODY_TIMEOUT_MILLIS + "ms");
  }

  @AfterAll
  static void stopMemcached() {
    MEMCACHED.close();
  }

  @BeforeEach
  void store() throws Exception {
    MemcachedKeyScheme keys = MemcachedKeyScheme.defaultScheme().inGeneration(1);
    for (String id : STORED) {
      OnlineFeature feature =
          OnlineFeature.of(
              FeatureRows.row(id, id.hashCode(), Instant.parse("2026-11-25T10:00:00Z")),
              FeatureVersion.of(1, 1));
      assertThat(
              memcached
                  .set(
                      keys.keyFor(id),
                      0,
                      OnlineFeatureCodec.encode(feature),
                      MemcachedClients.RAW_BYTES)
                  .get())
          .isTrue();
    }
  }

  /** One request and the answer it must get; {@code docId}: the id a 200 must name. */
  record Case(String name, String request, int status, String docId) {
    static Case get(String name, String target, int status) {
      return new Case(
          name,
          "GET " + target + " HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n",
          status,
          null);
    }

    static Case found(String name, String target, String docId) {
      return new Case(
          name, "GET " + target + " HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n", 200, docId);
    }

    static Case raw(String name, String request, int status) {
      return new Case(name, request, status, null);
    }

    static Case accept(String name, String accept, int status) {
      return new Case(
          name,
          "GET /v1/features/doc-1 HTTP/1.1\r\nHost: t\r\nAccept: "
              + accept
              + "\r\nConnection: close\r\n\r\n",
          status,
          null);
    }

    static Case post(String name, String contentType, String body, int status) {
      return new Case(
          name,
          "POST /v1/features:batchGet HTTP/1.1\r\nHost: t\r\nContent-Type: "
              + contentType
              + "\r\nContent-Length: "
              + body.getBytes(java.nio.charset.StandardCharsets.UTF_8).length
              + "\r\nConnection: close\r\n\r\n"
              + body,
          status,
          null);
    }
  }

  static List<Case> cases() {
    return List.of(
        Case.found("plain id", "/v1/features/doc-1", "doc-1"),
        Case.found("slashes, percent-encoded", "/v1/features/..%2F..%2Fetc", "../../etc"),
        Case.found("backslash, percent-encoded", "/v1/features/a%5Cb", "a\\b"),
        Case.found(
            "a URL as id",
            "/v1/features/https%3A%2F%2Fexample.com%2Fa%2Fb%3Fc%3Dd",
            "https://example.com/a/b?c=d"),
        Case.found("query form", "/v1/features?doc_id=..%2F..%2Fetc", "../../etc"),
        Case.found("query form reaches '..'", "/v1/features?doc_id=..", ".."),
        Case.found("an id that is itself percent-encoded text", "/v1/features/%252F", "%2F"),
        Case.get("unknown id", "/v1/features/never-stored", 404),
        Case.get("raw slashes are another path", "/v1/features/a/b", 404),
        Case.get("NUL byte", "/v1/features/a%00b", 400),
        Case.get("control character", "/v1/features/a%01b", 400),
        Case.get("invalid UTF-8", "/v1/features/a%FFb", 400),
        Case.get("raw backslash", "/v1/features/a\\b", 400),
        Case.get("raw space", "/v1/features/a b", 400),
        Case.get("id over 512 bytes", "/v1/features/" + "x".repeat(513), 400),
        Case.get("query form without doc_id", "/v1/features", 400),
        Case.get("path over the header limit", "/v1/features/" + "x".repeat(9_000), 431),
        Case.raw(
            "64 KB header",
            "GET /v1/features/doc-1 HTTP/1.1\r\nHost: t\r\nX-Big: "
                + "y".repeat(65_536)
                + "\r\nConnection: close\r\n\r\n",
            431),
        Case.raw("not HTTP at all", "HELLO\r\n\r\n", 400),
        Case.raw(
            "TRACE",
            "TRACE /v1/features/doc-1 HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n",
            405),
        Case.raw(
            "DELETE",
            "DELETE /v1/features/doc-1 HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n",
            405),
        Case.get("unknown path", "/v2/anything", 404),
        Case.get("hidden actuator endpoint", "/actuator/env", 404),
        Case.accept("JSON at q=0", "application/json;q=0", 406),
        Case.accept("every type at q=0", "*/*;q=0", 406),
        Case.accept("JSON excluded, anything else welcome", "application/json;q=0, */*", 200),
        Case.accept("HTML only", "text/html", 406),
        Case.accept("malformed Accept", ";;;==", 406),
        Case.post(
            "batch of found and missing",
            "application/json",
            "{\"doc_ids\":[\"doc-1\",\"nope\"]}",
            200),
        Case.post("body not JSON", "application/json", "doc-1", 400),
        Case.post("empty batch", "application/json", "{\"doc_ids\":[]}", 400),
        Case.post("deeply nested body", "application/json", "[".repeat(5_000), 400),
        Case.post("wrong content type", "text/plain", "{\"doc_ids\":[\"doc-1\"]}", 415),
        Case.raw(
            "declared body over the limit",
            "POST /v1/features:batchGet HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\nContent-Length: 100000\r\nConnection: close\r\n\r\n{",
            413),
        Case.raw(
            "chunked body over the limit",
            "POST /v1/features:batchGet HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
                + ("2000\r\n" + "z".repeat(0x2000) + "\r\n").repeat(9)
                + "0\r\n\r\n",
            413),
        Case.raw(
            "Content-Length larger than the body",
            "POST /v1/features:batchGet HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\nContent-Length: 100\r\nConnection: close\r\n\r\n{\"doc_ids\"",
            408));
  }

  @Test
  void everyHostileRequestGetsItsDocumentedAnswerAsACountedProblem() throws Exception {
    List<String> failures = new ArrayList<>();
    int errorAnswers = 0;
    double errorsBefore = errorCount();
    for (Case test : cases()) {
      RawHttp.Response response;
      try {
        response = RawHttp.exchange(port, test.request());
      } catch (java.io.IOException e) {
        failures.add(test.name() + ": " + e.getMessage());
        continue;
      }
      String what =
          test.name()
              + ": "
              + response.status()
              + " "
              + response.header("Content-Type")
              + " "
              + response.body();
      if (response.status() != test.status()) {
        failures.add("status " + test.status() + " expected; " + what);
        continue;
      }
      if (test.status() >= 400) {
        errorAnswers++;
        checkProblem(test, response, what, failures);
      } else if (test.docId() != null) {
        JsonNode body = JSON.readTree(response.body());
        if (!test.docId().equals(body.path("doc_id").asString())) {
          failures.add("doc_id " + test.docId() + " expected; " + what);
        }
      }
    }
    assertThat(failures).isEmpty();
    assertThat(errorCount() - errorsBefore)
        .as("every error answer counted once")
        .isEqualTo(errorAnswers);
  }

  private static void checkProblem(
      Case test, RawHttp.Response response, String what, List<String> failures) {
    String contentType = response.header("Content-Type");
    if (contentType == null || !contentType.startsWith("application/problem+json")) {
      failures.add("a problem document expected; " + what);
      return;
    }
    JsonNode problem = JSON.readTree(response.body());
    if (problem.path("status").asInt() != test.status()
        || problem.path("title").asString().isEmpty()
        || problem.path("detail").asString().isEmpty()) {
      failures.add("status, title and detail expected in the problem; " + what);
    }
    if (response
            .body()
            .matches(
                "(?s).*\\b(java|jakarta|org\\.apache|org\\.springframework|net\\.spy)\\.[a-z].*")
        || response.body().contains("Exception")) {
      failures.add("no internal class names expected; " + what);
    }
  }

  @Test
  void aBodyThatStopsArrivingGetsA408WithinTheBodyTimeout() throws Exception {
    RawHttp.Response response =
        RawHttp.exchange(
            port,
            "POST /v1/features:batchGet HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{\"doc_ids\"");
    assertThat(response.status()).isEqualTo(408);
    assertThat(response.header("Connection")).isEqualTo("close");
    assertThat(response.millis())
        .as("held for the body timeout, not the 60 s socket timeout")
        .isBetween(BODY_TIMEOUT_MILLIS - 100, 20_000L);
  }

  /**
   * 1,000 connections sending a body one byte per 100 ms: while they are held (each cut with a 408
   * at the body timeout and opened again), every lookup of other clients is answered. When bodies
   * were read by Tomcat's 200 request threads, 200 such connections stopped every lookup.
   */
  @Test
  void aThousandSlowBodyConnectionsDoNotStarveLookups() throws Exception {
    try (SlowBodyClients slow = new SlowBodyClients(port, 1_000, 1_000, 100)) {
      ExecutorService lookups = Executors.newFixedThreadPool(4);
      try {
        List<Future<RawHttp.Response>> answers = new ArrayList<>();
        long end = System.nanoTime() + 3 * BODY_TIMEOUT_MILLIS * 1_000_000;
        while (System.nanoTime() < end) {
          answers.add(
              lookups.submit(
                  () ->
                      RawHttp.exchange(
                          port,
                          "GET /v1/features/doc-1 HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n")));
          Thread.sleep(10);
        }
        for (Future<RawHttp.Response> answer : answers) {
          assertThat(answer.get().status()).isEqualTo(200);
        }
        assertThat(answers).hasSizeGreaterThan(100);
      } finally {
        lookups.shutdownNow();
      }
      assertThat(slow.ended())
          .as("slow bodies are cut at the body timeout")
          .isGreaterThanOrEqualTo(1_000);
      assertThat(slow.answered408()).as("and told why").isGreaterThan(0);
    }
  }

  /**
   * Requests pipelined in one write on one connection are answered in their order, whatever each
   * one's answer takes (a lookup, an error, a HEAD without a body, OPTIONS), and the connection
   * stays usable.
   */
  @Test
  void pipelinedRequestsAreAnsweredInOrderOnOneConnection() throws Exception {
    String[] requests = {
      "GET /v1/features/doc-1 HTTP/1.1\r\nHost: t\r\n\r\n",
      "GET /v1/features/never-stored HTTP/1.1\r\nHost: t\r\n\r\n",
      "HEAD /v1/features/doc-1 HTTP/1.1\r\nHost: t\r\n\r\n",
      "POST /v1/features:batchGet HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\n"
          + "Content-Length: 28\r\n\r\n{\"doc_ids\":[\"doc-1\",\"nope\"]}",
      "OPTIONS /v1/features/doc-1 HTTP/1.1\r\nHost: t\r\n\r\n",
      "GET /v1/features/a%00b HTTP/1.1\r\nHost: t\r\n\r\n",
      "GET /v1/features/doc-1 HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n",
    };
    int[] statuses = {200, 404, 200, 200, 200, 400, 200};
    try (java.net.Socket socket = new java.net.Socket("127.0.0.1", port)) {
      socket.setSoTimeout(10_000);
      socket.getOutputStream().write(String.join("", requests).getBytes(StandardCharsets.UTF_8));
      socket.getOutputStream().flush();
      java.io.DataInputStream in = new java.io.DataInputStream(socket.getInputStream());
      for (int i = 0; i < requests.length; i++) {
        String head = readHead(in);
        assertThat(head).as("answer %s", i).startsWith("HTTP/1.1 " + statuses[i] + " ");
        int length = contentLength(head);
        boolean isHead = requests[i].startsWith("HEAD");
        byte[] body = new byte[isHead ? 0 : length];
        in.readFully(body);
        String text = new String(body, StandardCharsets.UTF_8);
        if (i == 0 || i == 6) {
          assertThat(JSON.readTree(text).path("doc_id").asString()).isEqualTo("doc-1");
        }
        if (i == 2) {
          assertThat(length).as("HEAD names the length of the GET's body").isGreaterThan(1000);
        }
        if (i == 3) {
          assertThat(JSON.readTree(text).path("found").asInt()).isEqualTo(1);
        }
        if (i == 4) {
          assertThat(head).containsIgnoringCase("allow: GET, HEAD");
        }
      }
      assertThat(in.read()).as("closed after the request that asked for it").isEqualTo(-1);
    }
  }

  /** A client may send any token as a method: the metric names only standard ones, or grows. */
  @Test
  void anInventedMethodIsA405CountedAsUnknownNotAsANewSeries() throws Exception {
    for (int i = 0; i < 20; i++) {
      RawHttp.Response response =
          RawHttp.exchange(
              port,
              "INVENTED"
                  + i
                  + " /v1/features/doc-1 HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n");
      assertThat(response.status()).isEqualTo(405);
    }
    java.util.Set<String> methods =
        meters.find("http.server.requests").timers().stream()
            .map(timer -> timer.getId().getTag("method"))
            .collect(java.util.stream.Collectors.toSet());
    assertThat(methods).contains("UNKNOWN").noneMatch(method -> method.startsWith("INVENTED"));
  }

  private static String readHead(java.io.DataInputStream in) throws java.io.IOException {
    StringBuilder head = new StringBuilder();
    while (!head.toString().endsWith("\r\n\r\n")) {
      int b = in.read();
      if (b < 0) {
        throw new java.io.EOFException("connection closed after: " + head);
      }
      head.append((char) b);
    }
    return head.toString();
  }

  private static int contentLength(String head) {
    for (String line : head.split("\r\n")) {
      if (line.toLowerCase(java.util.Locale.ROOT).startsWith("content-length:")) {
        return Integer.parseInt(line.substring("content-length:".length()).trim());
      }
    }
    return 0;
  }

  private double errorCount() {
    return meters.find("featurestore.serving.errors").counters().stream()
        .mapToDouble(Counter::count)
        .sum();
  }
}
