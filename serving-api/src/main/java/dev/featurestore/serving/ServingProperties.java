package dev.featurestore.serving;

import dev.featurestore.api.Preconditions;
import java.time.Duration;
import java.util.List;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;
import org.springframework.util.unit.DataSize;

/**
 * Serving configuration under {@code featurestore.*}; defaults live in {@code serving-api.yml}.
 *
 * @param generationRefresh how often the served key generation is re-read (a full resync switches
 *     it)
 * @param lookups limits of one lookup
 * @param hotCache the in-process cache of popular ids
 * @param apiKeys keys accepted in {@code X-API-Key} on {@code /v1}; empty: no authentication
 * @param maxRequestSize largest request body accepted (a batch of ids)
 * @param requestBodyTimeout longest a request body may take to arrive, from the end of its headers;
 *     a slower one gets a 408 (bodies are read by the event loops without blocking, so slow clients
 *     cannot starve fast ones)
 * @param http the API's port
 */
@ConfigurationProperties("featurestore")
public record ServingProperties(
    @DefaultValue("100ms") Duration generationRefresh,
    @DefaultValue Lookups lookups,
    @DefaultValue HotCache hotCache,
    @DefaultValue List<String> apiKeys,
    @DefaultValue("64KB") DataSize maxRequestSize,
    @DefaultValue("10s") Duration requestBodyTimeout,
    @DefaultValue Http http) {

  public ServingProperties {
    Preconditions.checkArgument(
        !generationRefresh.isNegative() && !generationRefresh.isZero(),
        "Invalid generation refresh: %s",
        generationRefresh);
    apiKeys = apiKeys == null ? List.of() : apiKeys.stream().filter(key -> !key.isBlank()).toList();
    apiKeys.forEach(
        key ->
            Preconditions.checkArgument(
                key.length() >= 16,
                "Invalid API key: shorter than 16 characters (%s...)",
                key.substring(0, Math.min(4, key.length()))));
    Preconditions.checkArgument(
        maxRequestSize.toBytes() >= 1024,
        "Invalid max request size: %s (at least 1KB)",
        maxRequestSize);
    Preconditions.checkArgument(
        requestBodyTimeout.toMillis() >= 100,
        "Invalid request body timeout: %s (at least 100ms)",
        requestBodyTimeout);
  }

  /**
   * @param maxBatchSize most doc ids in one batch lookup
   * @param maxInFlight lookups waiting for memcached at once; more are refused with a 503 at once
   *     (overloaded): a stalled memcached cannot pile up unanswered gets (no thread waits for one)
   * @param deadline how long a lookup waits for memcached unless the request sends its own deadline
   *     ({@code X-Request-Deadline-Ms}); a late answer inside it is still served
   * @param maxDeadline the longest deadline a request may ask for
   */
  public record Lookups(
      @DefaultValue("100") int maxBatchSize,
      @DefaultValue("1024") int maxInFlight,
      @DefaultValue("1s") Duration deadline,
      @DefaultValue("10s") Duration maxDeadline) {
    public Lookups {
      Preconditions.checkArgument(
          maxBatchSize >= 1 && maxBatchSize <= 10_000,
          "Invalid max batch size: %s (1 to 10000)",
          maxBatchSize);
      Preconditions.checkArgument(
          maxInFlight >= 1, "Invalid max in-flight lookups: %s", maxInFlight);
      Preconditions.checkArgument(
          maxDeadline != null && maxDeadline.toMillis() >= 1,
          "Invalid max lookup deadline: %s",
          maxDeadline);
      Preconditions.checkArgument(
          deadline != null && deadline.toMillis() >= 1 && deadline.compareTo(maxDeadline) <= 0,
          "Invalid lookup deadline: %s (1ms to the max deadline, %s)",
          deadline,
          maxDeadline);
    }
  }

  /**
   * @param port the API's port ({@code /v1}, {@code /openapi.yaml}); 0 picks a free one. Health and
   *     metrics are on {@code server.port}
   * @param address the address it listens on
   * @param threads event loops, each serving its share of the connections and their memcached
   *     reads; 0: one per core
   * @param maxHeaderSize the longest request line and header block accepted; longer is a 431
   * @param idleTimeout how long an idle keep-alive connection is kept
   */
  public record Http(
      @DefaultValue("8080") int port,
      @DefaultValue("127.0.0.1") String address,
      @DefaultValue("0") int threads,
      @DefaultValue("8KB") DataSize maxHeaderSize,
      @DefaultValue("60s") Duration idleTimeout) {
    public Http {
      Preconditions.checkArgument(port >= 0 && port <= 65535, "Invalid API port: %s", port);
      Preconditions.checkArgument(
          threads >= 0 && threads <= 256, "Invalid API threads: %s (0 to 256)", threads);
      Preconditions.checkArgument(
          maxHeaderSize.toBytes() >= 1024 && maxHeaderSize.toBytes() <= 1024 * 1024,
          "Invalid max header size: %s (1KB to 1MB)",
          maxHeaderSize);
      Preconditions.checkArgument(
          idleTimeout.toMillis() >= 1000, "Invalid idle timeout: %s (at least 1s)", idleTimeout);
    }

    public int threadsOrCores() {
      return threads == 0 ? Runtime.getRuntime().availableProcessors() : threads;
    }
  }

  /**
   * @param staleness how long a value read from memcached may be served from memory; 0 disables the
   *     cache
   * @param maxEntries most ids kept (popular ones win: W-TinyLFU admission)
   */
  public record HotCache(
      @DefaultValue("100ms") Duration staleness, @DefaultValue("10000") long maxEntries) {
    public HotCache {
      Preconditions.checkArgument(
          !staleness.isNegative(), "Invalid hot cache staleness: %s", staleness);
      Preconditions.checkArgument(maxEntries >= 1, "Invalid hot cache size: %s", maxEntries);
    }

    public boolean enabled() {
      return !staleness.isZero();
    }
  }
}
