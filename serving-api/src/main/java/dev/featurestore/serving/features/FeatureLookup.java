package dev.featurestore.serving.features;

import dev.featurestore.api.DocIds;
import dev.featurestore.api.MemcachedKeyScheme;
import dev.featurestore.api.OnlineFeature;
import dev.featurestore.api.OnlineFeatureCodec;
import dev.featurestore.memcached.MemcachedClients;
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
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Supplier;
import net.spy.memcached.MemcachedClient;
import net.spy.memcached.NodeLocator;
import org.springframework.stereotype.Service;

/**
 * Reads features from memcached: one get for one id, one multi-get for a batch, popular ids from
 * the {@link HotFeatureCache}. A lookup waits for memcached until its request's {@link Deadline},
 * so an answer that comes late (a busy core, a GC pause) is still served; it fails at once when the
 * id's server is known to be down, and at most {@code max-in-flight} lookups wait at once: beyond
 * that a lookup is refused at once (overloaded) rather than parking another request thread.
 */
@Service
public class FeatureLookup {

  private final MemcachedClient memcached;
  private final NodeLocator nodes;
  private final ServedGeneration generation;
  private final HotFeatureCache hotCache;
  private final int maxBatchSize;
  private final Semaphore inFlight;
  private final Counter found;
  private final Counter missing;
  private final DistributionSummary batchSizes;

  public FeatureLookup(
      MemcachedClient memcached,
      ServedGeneration generation,
      HotFeatureCache hotCache,
      ServingProperties properties,
      MeterRegistry meters) {
    this.memcached = memcached;
    // getNodeLocator() copies the whole ketama ring on every call (~10 KB): take the copy once. Its
    // nodes report the
    // live connection state, and the server list never changes while the app runs.
    this.nodes = memcached.getNodeLocator();
    this.generation = generation;
    this.hotCache = hotCache;
    this.maxBatchSize = properties.lookups().maxBatchSize();
    this.inFlight = new Semaphore(properties.lookups().maxInFlight());
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
   * The feature of a valid doc id, or empty if the online store has none.
   *
   * @throws DocIds.InvalidDocIdException if the id breaks the doc id rules
   * @throws OnlineStoreUnavailableException if memcached cannot answer by the deadline
   */
  public Optional<OnlineFeature> find(String docId, Deadline deadline) {
    // keyFor applies the doc id rules (and throws InvalidDocIdException)
    String key = generation.keys().keyFor(docId);
    Optional<OnlineFeature> cached = hotCache.get(key);
    if (cached != null) {
      return count(cached);
    }
    // no reachability check here: a get to a server that is down is cancelled at once (FailureMode
    // Cancel), and the check would hash the key a second time (ketama MD5) on every lookup
    byte[] value = await(() -> memcached.asyncGet(key, MemcachedClients.RAW_BYTES), deadline);
    Optional<OnlineFeature> answer = decode(docId, value);
    hotCache.put(key, answer);
    return count(answer);
  }

  /**
   * The features of up to {@code max-batch-size} valid doc ids, in one memcached multi-get; the map
   * has an entry for every distinct id, empty when the online store has none.
   *
   * @throws InvalidBatchException if the batch is empty, too large or holds invalid ids (all of
   *     them are named)
   * @throws OnlineStoreUnavailableException if memcached cannot answer by the deadline
   */
  public Map<String, Optional<OnlineFeature>> findAll(List<String> docIds, Deadline deadline) {
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
    Map<String, Optional<OnlineFeature>> answers = new LinkedHashMap<>();
    Map<String, String> idByKey = new HashMap<>();
    for (String docId : docIds) {
      if (answers.containsKey(docId)) {
        continue;
      }
      String key = keys.keyFor(docId);
      Optional<OnlineFeature> cached = hotCache.get(key);
      if (cached != null) {
        answers.put(docId, cached);
      } else {
        answers.put(docId, null);
        idByKey.put(key, docId);
      }
    }
    if (!idByKey.isEmpty()) {
      // spymemcached's multi-get reads the keys of a server it lost from the next one in the ring:
      // they would come
      // back as misses, so a batch that needs a lost server fails like a single lookup does
      idByKey.forEach(this::checkReachable);
      Map<String, byte[]> values =
          await(
              () -> memcached.asyncGetBulk(idByKey.keySet(), MemcachedClients.RAW_BYTES), deadline);
      idByKey.forEach(
          (key, docId) -> {
            Optional<OnlineFeature> answer = decode(docId, values.get(key));
            hotCache.put(key, answer);
            answers.put(docId, answer);
          });
    }
    answers.values().forEach(this::count);
    return answers;
  }

  /**
   * A server known to be down fails a batch at once, whatever its deadline: spymemcached's
   * multi-get would read its keys from the next server in the ring and report them as misses.
   */
  private void checkReachable(String key, String docId) {
    if (!nodes.getPrimary(key).isActive()) {
      throw new OnlineStoreUnavailableException(
          Kind.UNAVAILABLE, "the memcached server of doc id " + docId + " is unreachable");
    }
  }

  private <T> T await(Supplier<? extends Future<T>> request, Deadline deadline) {
    if (!inFlight.tryAcquire()) {
      throw new OnlineStoreUnavailableException(
          Kind.OVERLOADED, "too many lookups are waiting for memcached; retry");
    }
    Future<T> future = null;
    try {
      future = request.get();
      return future.get(deadline.remainingNanos(), TimeUnit.NANOSECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new OnlineStoreUnavailableException(e);
    } catch (TimeoutException e) {
      future.cancel(false);
      throw new OnlineStoreUnavailableException(
          Kind.DEADLINE_EXCEEDED,
          "memcached did not answer within the request's deadline of "
              + deadline.budget().toMillis()
              + " ms");
    } catch (ExecutionException | RuntimeException e) {
      // spymemcached signals cancelled operations (server down) and full queues with exceptions
      throw new OnlineStoreUnavailableException(e);
    } finally {
      inFlight.release();
    }
  }

  private static Optional<OnlineFeature> decode(String docId, byte[] value) {
    if (value == null || OnlineFeatureCodec.isErased(value)) {
      return Optional.empty();
    }
    OnlineFeature feature = OnlineFeatureCodec.decode(value);
    // a hashed key is only trusted when the value names the same id
    return feature.docId().equals(docId) ? Optional.of(feature) : Optional.empty();
  }

  private Optional<OnlineFeature> count(Optional<OnlineFeature> answer) {
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

    OnlineStoreUnavailableException(Throwable cause) {
      super("online store unavailable: " + reasonOf(rootOf(cause)), cause);
      this.kind = Kind.UNAVAILABLE;
    }

    OnlineStoreUnavailableException(Kind kind, String reason) {
      super("online store unavailable: " + reason);
      this.kind = kind;
    }

    public Kind kind() {
      return kind;
    }

    /** What went wrong, in words a client can act on: the exception's class stays in the logs. */
    private static String reasonOf(Throwable root) {
      String name = root.getClass().getSimpleName();
      if (root instanceof InterruptedException) {
        return "the lookup was interrupted (the server is shutting down)";
      }
      if (name.contains("Timeout")) {
        return "memcached did not answer in time";
      }
      if (root instanceof java.util.concurrent.CancellationException || name.contains("Cancel")) {
        return "the memcached server is unreachable";
      }
      if (root instanceof IllegalStateException) {
        return "too many lookups are queued for memcached";
      }
      return "memcached could not answer";
    }

    private static Throwable rootOf(Throwable e) {
      return e instanceof ExecutionException && e.getCause() != null ? e.getCause() : e;
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
