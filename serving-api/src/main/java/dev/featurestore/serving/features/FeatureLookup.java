package dev.featurestore.serving.features;

import dev.featurestore.api.DocIds;
import dev.featurestore.api.MemcachedKeyScheme;
import dev.featurestore.api.OnlineFeatureCodec;
import dev.featurestore.api.StoredFeature;
import dev.featurestore.serving.ServingProperties;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import org.springframework.stereotype.Service;

/**
 * Reads features from memcached: one get for one id, one multi-get for a batch, popular ids from
 * the {@link HotFeatureCache}. Lookups never block: they complete on the thread that answers them
 * (the serving event loop, see {@link EventLoopMemcached}). A lookup waits for memcached until its
 * request's {@link Deadline}, so an answer that comes late (a busy core, a GC pause) is still
 * served; it fails at once when the id's server is known to be down, or when too many lookups are
 * waiting already (overloaded).
 */
@Service
public class FeatureLookup {

  private final OnlineStoreReads memcached;
  private final ServedGeneration generation;
  private final HotFeatureCache hotCache;
  private final int maxBatchSize;
  private final Counter found;
  private final Counter missing;
  private final DistributionSummary batchSizes;

  public FeatureLookup(
      OnlineStoreReads memcached,
      ServedGeneration generation,
      HotFeatureCache hotCache,
      ServingProperties properties,
      MeterRegistry meters) {
    this.memcached = memcached;
    this.generation = generation;
    this.hotCache = hotCache;
    this.maxBatchSize = properties.lookups().maxBatchSize();
    this.found = meters.counter("featurestore.serving.lookups", "result", "found");
    this.missing = meters.counter("featurestore.serving.lookups", "result", "missing");
    this.batchSizes =
        DistributionSummary.builder("featurestore.serving.batch.size")
            .baseUnit("ids")
            .serviceLevelObjectives(1, 10, 50, 100, 500)
            .register(meters);
  }

  public int maxBatchSize() {
    return maxBatchSize;
  }

  /**
   * The feature of a valid doc id, or empty if the online store has none; fails with {@link
   * OnlineStoreUnavailableException} if memcached cannot answer by the deadline.
   *
   * @throws DocIds.InvalidDocIdException if the id breaks the doc id rules
   * @throws OnlineStoreUnavailableException if no key generation is known yet
   */
  public CompletableFuture<Optional<ServedFeature>> find(String docId, Deadline deadline) {
    // keyFor applies the doc id rules (and throws InvalidDocIdException)
    String key = generation.keys().keyFor(docId);
    Optional<ServedFeature> cached = hotCache.get(key);
    if (cached != null) {
      return CompletableFuture.completedFuture(count(cached));
    }
    return memcached
        .get(key, deadline)
        .thenApply(
            value -> {
              Optional<ServedFeature> answer = decode(docId, value);
              hotCache.put(key, answer);
              return count(answer);
            });
  }

  /**
   * The features of up to {@code max-batch-size} valid doc ids, in one memcached multi-get per
   * server; the map has an entry for every distinct id, empty when the online store has none. It
   * fails with {@link OnlineStoreUnavailableException} if memcached cannot answer for every id by
   * the deadline: a batch is answered whole or not at all.
   *
   * @throws InvalidBatchException if the batch is empty, too large or holds invalid ids (all of
   *     them are named)
   */
  public CompletableFuture<Map<String, Optional<ServedFeature>>> findAll(
      List<String> docIds, Deadline deadline) {
    if (docIds == null || docIds.isEmpty()) {
      throw new InvalidBatchException("doc_ids must hold at least one doc id", List.of());
    }
    if (docIds.size() > maxBatchSize) {
      throw new InvalidBatchException(
          "doc_ids holds " + docIds.size() + " ids, more than the limit of " + maxBatchSize,
          List.of());
    }
    List<InvalidBatchException.InvalidId> invalid = new ArrayList<>();
    for (int i = 0; i < docIds.size(); i++) {
      String docId = docIds.get(i);
      if (!DocIds.isValid(docId)) {
        invalid.add(new InvalidBatchException.InvalidId(i, DocIds.violation(docId)));
      }
    }
    if (!invalid.isEmpty()) {
      throw new InvalidBatchException(
          invalid.size() + " of " + docIds.size() + " doc ids are invalid", invalid);
    }
    batchSizes.record(docIds.size());
    MemcachedKeyScheme keys = generation.keys();
    Map<String, Optional<ServedFeature>> answers = new LinkedHashMap<>();
    Map<String, String> idByKey = new HashMap<>();
    for (String docId : docIds) {
      if (answers.containsKey(docId)) {
        continue;
      }
      String key = keys.keyFor(docId);
      Optional<ServedFeature> cached = hotCache.get(key);
      if (cached != null) {
        answers.put(docId, cached);
      } else {
        answers.put(docId, null);
        idByKey.put(key, docId);
      }
    }
    if (idByKey.isEmpty()) {
      answers.values().forEach(this::count);
      return CompletableFuture.completedFuture(answers);
    }
    return memcached
        .getAll(idByKey.keySet(), deadline)
        .exceptionally(
            failure -> {
              throw namingTheId(failure, idByKey);
            })
        .thenApply(
            values -> {
              idByKey.forEach(
                  (key, docId) -> {
                    Optional<ServedFeature> answer = decode(docId, values.get(key));
                    hotCache.put(key, answer);
                    answers.put(docId, answer);
                  });
              answers.values().forEach(this::count);
              return answers;
            });
  }

  /** A lost server's failure names one of its doc ids, which a client knows (unlike keys). */
  private static RuntimeException namingTheId(Throwable failure, Map<String, String> idByKey) {
    Throwable cause = failure instanceof CompletionException ? failure.getCause() : failure;
    if (cause instanceof OnlineStoreUnavailableException unavailable
        && unavailable.key() != null
        && idByKey.containsKey(unavailable.key())) {
      return new OnlineStoreUnavailableException(
          unavailable.kind(),
          unavailable.reason() + " (it holds doc id " + idByKey.get(unavailable.key()) + ")",
          null);
    }
    return cause instanceof RuntimeException runtime ? runtime : new CompletionException(cause);
  }

  private static Optional<ServedFeature> decode(String docId, byte[] value) {
    if (value == null || OnlineFeatureCodec.isErased(value)) {
      return Optional.empty();
    }
    StoredFeature feature = StoredFeature.parse(value);
    // a hashed key is only trusted when the value names the same id
    return feature.hasDocId(docId) ? Optional.of(new ServedFeature(feature)) : Optional.empty();
  }

  private Optional<ServedFeature> count(Optional<ServedFeature> answer) {
    (answer.isPresent() ? found : missing).increment();
    return answer;
  }

  /** Why a lookup got no answer: the {@code kind} of its error metric and problem. */
  public enum Kind {
    /** memcached is down or failed the request */
    UNAVAILABLE,
    /** memcached did not answer by the request's deadline */
    DEADLINE_EXCEEDED,
    /** too many lookups were waiting already: refused without waiting */
    OVERLOADED;

    public String tag() {
      return name().toLowerCase(java.util.Locale.ROOT);
    }
  }

  /** memcached did not answer; the caller gets a 503 and may retry. */
  public static final class OnlineStoreUnavailableException extends RuntimeException {
    private final Kind kind;

    private final String reason;
    private final String key;

    OnlineStoreUnavailableException(Kind kind, String reason) {
      this(kind, reason, null);
    }

    /** {@code key}: a memcached key of the server that failed, if one server did. */
    OnlineStoreUnavailableException(Kind kind, String reason, String key) {
      // no stack trace: these are answers (503s), counted by kind, and come by the thousand in an
      // outage
      super("online store unavailable: " + reason, null, false, false);
      this.kind = kind;
      this.reason = reason;
      this.key = key;
    }

    public Kind kind() {
      return kind;
    }

    String reason() {
      return reason;
    }

    String key() {
      return key;
    }
  }

  /** A batch request that cannot be answered as a whole: empty, too large, or with invalid ids. */
  public static final class InvalidBatchException extends RuntimeException {

    /** One invalid id: its position in {@code doc_ids} and the rule it breaks. */
    public record InvalidId(int index, String reason) {}

    private final List<InvalidId> invalidIds;

    InvalidBatchException(String message, List<InvalidId> invalidIds) {
      super(message);
      this.invalidIds = List.copyOf(invalidIds);
    }

    public List<InvalidId> invalidIds() {
      return invalidIds;
    }
  }
}
