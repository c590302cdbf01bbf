package dev.featurestore.serving.features;

import dev.featurestore.serving.ServingProperties;
import dev.featurestore.serving.web.AcceptQualities;
import dev.featurestore.serving.web.ApiKeys;
import dev.featurestore.spring.web.ErrorMetric;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.handler.codec.http.HttpMethod;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import org.springframework.core.io.ClassPathResource;
import org.springframework.http.MediaType;
import org.springframework.stereotype.Component;
import tools.jackson.databind.json.JsonMapper;

/**
 * What every connection's {@link FeatureRequests} shares: the lookups, the API's limits, and its
 * metrics ({@code http.server.requests}, with the same tags and buckets as the management port's,
 * and the error counter by kind).
 */
@Component
class FeatureService {

  private final FeatureLookup lookup;
  private final ServingProperties properties;
  private final ApiKeys apiKeys;
  private final ErrorMetric errors;
  private final MeterRegistry meters;
  private final JsonMapper json;
  static final MediaType BINARY_TYPE = MediaType.parseMediaType(FeatureBodies.BINARY);

  private final AcceptQualities representations =
      new AcceptQualities(List.of(MediaType.APPLICATION_JSON, BINARY_TYPE));
  private final Map<TimerKey, Timer> timers = new ConcurrentHashMap<>();
  private final byte[] openApi;

  FeatureService(
      FeatureLookup lookup,
      ServingProperties properties,
      ApiKeys apiKeys,
      ErrorMetric errors,
      MeterRegistry meters,
      JsonMapper json) {
    this.lookup = lookup;
    this.properties = properties;
    this.apiKeys = apiKeys;
    this.errors = errors;
    this.meters = meters;
    this.json = json;
    try (InputStream in = new ClassPathResource("static/openapi.yaml").getInputStream()) {
      this.openApi = in.readAllBytes();
    } catch (IOException e) {
      throw new UncheckedIOException("The OpenAPI document is missing from the classpath", e);
    }
  }

  FeatureLookup lookup() {
    return lookup;
  }

  ApiKeys apiKeys() {
    return apiKeys;
  }

  AcceptQualities representations() {
    return representations;
  }

  Deadline deadline(String header) {
    return Deadline.of(header, properties.lookups());
  }

  long maxRequestBytes() {
    return properties.maxRequestSize().toBytes();
  }

  long bodyTimeoutMillis() {
    return properties.requestBodyTimeout().toMillis();
  }

  ByteBuf openApi() {
    return Unpooled.wrappedBuffer(openApi);
  }

  /** The doc ids of a batch body ({@code {"doc_ids": [...]}}). */
  List<String> readBatch(InputStream body) {
    return json.readValue(body, BatchRequest.class).docIds();
  }

  private record TimerKey(String method, String route, int status) {}

  /** Methods named in the metric; any other (a client may send any token) is UNKNOWN. */
  private static final java.util.Set<String> METHODS =
      java.util.Set.of("GET", "HEAD", "POST", "PUT", "DELETE", "OPTIONS", "TRACE", "PATCH");

  /** Counts an answer: its latency by route and status, and its error kind (null: none). */
  void record(HttpMethod method, String route, int status, String errorKind, long startNanos) {
    if (errorKind != null) {
      errors.count(errorKind);
    }
    timers
        .computeIfAbsent(
            new TimerKey(
                METHODS.contains(method.name()) ? method.name() : "UNKNOWN", route, status),
            this::timer)
        .record(System.nanoTime() - startNanos, TimeUnit.NANOSECONDS);
  }

  private Timer timer(TimerKey key) {
    String outcome =
        key.status() < 200
            ? "INFORMATIONAL"
            : key.status() < 300
                ? "SUCCESS"
                : key.status() < 400
                    ? "REDIRECTION"
                    : key.status() < 500 ? "CLIENT_ERROR" : "SERVER_ERROR";
    return Timer.builder("http.server.requests")
        .tag("error", "none")
        .tag("exception", "none")
        .tag("method", key.method())
        .tag("outcome", outcome)
        .tag("status", Integer.toString(key.status()))
        .tag("uri", key.route())
        .register(meters);
  }
}
