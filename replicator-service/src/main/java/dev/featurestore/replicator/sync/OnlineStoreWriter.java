package dev.featurestore.replicator.sync;

import dev.featurestore.api.FeatureVersion;
import dev.featurestore.api.MemcachedKeyScheme;
import dev.featurestore.api.OnlineFeature;
import dev.featurestore.api.OnlineFeatureCodec;
import dev.featurestore.memcached.MemcachedClients;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Predicate;
import net.spy.memcached.CASResponse;
import net.spy.memcached.CASValue;
import net.spy.memcached.MemcachedClient;

/**
 * Writes features (and erasure markers) to memcached in pipelined batches, never replacing a newer
 * value with an older one.
 *
 * <p>Each write first tries {@code add} (stores only if the key is absent: one round trip, the
 * common case of a re-warm or a new id). When the key exists, the stored value's version is read
 * with {@code gets}, and the write goes through {@code cas} only if it is not older; a concurrent
 * change makes the cas fail and the comparison is redone. So two replicators that overlap during a
 * failover, or a replay of an old range, cannot move a key back in time. A batch holds one write
 * per key, the newest version and of equal versions the last queued, so the later row of a repeated
 * doc id wins; a key in two batches waits for the earlier one. One batch is in flight while the
 * next is encoded. A flush that cannot complete throws, and the caller does not advance its
 * checkpoint.
 */
public final class OnlineStoreWriter {

  private static final int MAX_ROUNDS = 20;

  private final MemcachedClient client;
  private final MemcachedKeyScheme keys;
  private final int batchSize;
  private final long timeoutMillis;
  private final Predicate<String> keyFilter;
  private final List<Write> pending = new ArrayList<>();
  private List<Write> sentNow = List.of();
  private Set<String> sentKeys = Set.of();
  private long written;
  private long deleted;
  private long skipped;

  /** One guarded write. */
  private static final class Write {
    final String key;
    final byte[] value;
    final FeatureVersion version;
    final boolean erasure;
    Future<?> inFlight;
    long cas;

    Write(String key, byte[] value, FeatureVersion version, boolean erasure) {
      this.key = key;
      this.value = value;
      this.version = version;
      this.erasure = erasure;
    }
  }

  public OnlineStoreWriter(
      MemcachedClient client, MemcachedKeyScheme keys, int batchSize, long timeoutMillis) {
    this(client, keys, batchSize, timeoutMillis, key -> true);
  }

  private OnlineStoreWriter(
      MemcachedClient client,
      MemcachedKeyScheme keys,
      int batchSize,
      long timeoutMillis,
      Predicate<String> keyFilter) {
    this.client = client;
    this.keys = keys;
    this.batchSize = batchSize;
    this.timeoutMillis = timeoutMillis;
    this.keyFilter = keyFilter;
  }

  /** A writer that touches only the keys {@code keyFilter} accepts (re-warming some servers). */
  public OnlineStoreWriter onlyKeys(Predicate<String> keyFilter) {
    return new OnlineStoreWriter(client, keys, batchSize, timeoutMillis, keyFilter);
  }

  /** A writer of the keys of {@code generation} (see {@link MemcachedKeyScheme}). */
  public OnlineStoreWriter inGeneration(long generation) {
    return new OnlineStoreWriter(
        client, keys.inGeneration(generation), batchSize, timeoutMillis, keyFilter);
  }

  /** Queues a feature; flushes when a batch is full. */
  public void set(OnlineFeature feature) {
    queue(
        keys.keyFor(feature.docId()), OnlineFeatureCodec.encode(feature), feature.version(), false);
  }

  /** Queues the erasure of a doc id at {@code version}; flushes when a batch is full. */
  public void delete(String docId, FeatureVersion version) {
    queue(keys.keyFor(docId), OnlineFeatureCodec.encodeErased(docId, version), version, true);
  }

  private void queue(String key, byte[] value, FeatureVersion version, boolean erasure) {
    if (!keyFilter.test(key)) {
      return;
    }
    pending.add(new Write(key, value, version, erasure));
    if (pending.size() >= batchSize) {
      guarded(this::sendPending);
    }
  }

  /** Applies every queued write; throws if any could not be applied. */
  public void flush() {
    guarded(
        () -> {
          sendPending();
          completeSent();
        });
  }

  private interface MemcachedWork {
    void run() throws InterruptedException, ExecutionException, TimeoutException;
  }

  private void guarded(MemcachedWork work) {
    try {
      work.run();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      abandon();
      throw new OnlineStoreException("Interrupted while writing to memcached", e);
    } catch (ExecutionException | TimeoutException | RuntimeException e) {
      abandon();
      throw e instanceof OnlineStoreException ose
          ? ose
          : new OnlineStoreException("memcached write failed: " + e, e);
    }
  }

  /** After a failure nothing queued or in flight counts: the caller redoes the whole range. */
  private void abandon() {
    for (List<Write> writes : List.of(pending, sentNow)) {
      writes.forEach(
          write -> {
            if (write.inFlight != null) {
              write.inFlight.cancel(true);
            }
          });
    }
    pending.clear();
    sentNow = List.of();
    sentKeys = Set.of();
  }

  /**
   * Sends the adds of the queued batch, then completes the batch sent before it, so that encoding
   * and sending one batch overlaps memcached working through the previous one. When the two batches
   * share a key, the previous one is completed first: writes of one key are applied in the order
   * they were queued.
   */
  private void sendPending() throws InterruptedException, ExecutionException, TimeoutException {
    if (pending.isEmpty()) {
      return;
    }
    // one write per key and batch, however often a doc id repeats: the newest version, and of equal
    // versions (rows
    // of one file) the last queued, supersedes the others, exactly as applying them in turn would
    // end
    Map<String, Write> lastByKey = new LinkedHashMap<>();
    for (Write write : pending) {
      Write previous = lastByKey.get(write.key);
      if (previous == null) {
        lastByKey.put(write.key, write);
      } else {
        skipped++;
        if (write.version.compareTo(previous.version) >= 0) {
          lastByKey.put(write.key, write);
        }
      }
    }
    pending.clear();
    List<Write> now = new ArrayList<>(lastByKey.values());
    if (!Collections.disjoint(lastByKey.keySet(), sentKeys)) {
      completeSent();
    }
    sendAdds(now);
    completeSent();
    sentNow = now;
    sentKeys = lastByKey.keySet();
  }

  /**
   * Waits for the batch in flight and finishes it (version-guarded cas rounds for the keys that
   * existed).
   */
  private void completeSent() throws InterruptedException, ExecutionException, TimeoutException {
    List<Write> round = finishRound(sentNow);
    sentNow = List.of();
    sentKeys = Set.of();
    for (int attempt = 1; !round.isEmpty(); attempt++) {
      if (attempt >= MAX_ROUNDS) {
        throw new OnlineStoreException(
            "memcached keys kept changing under " + round.size() + " writes");
      }
      round = applyRound(round);
    }
  }

  /**
   * One pipelined round: add every write; the ones whose key exists read the stored version and cas
   * if not older. Returns the writes to retry (a concurrent change, or a key that vanished between
   * gets and cas). A round holds one write per key: batches are collapsed by key before they are
   * sent.
   */
  private List<Write> applyRound(List<Write> writes)
      throws InterruptedException, ExecutionException, TimeoutException {
    sendAdds(writes);
    return finishRound(writes);
  }

  private void sendAdds(List<Write> writes) {
    for (Write write : writes) {
      write.inFlight = client.add(write.key, 0, write.value, MemcachedClients.RAW_BYTES);
    }
  }

  /**
   * Awaits the adds of {@code now}; for keys that existed, compares versions and cas. Returns what
   * to retry.
   */
  private List<Write> finishRound(List<Write> now)
      throws InterruptedException, ExecutionException, TimeoutException {
    List<Write> existing = new ArrayList<>();
    for (Write write : now) {
      if (Boolean.TRUE.equals(await(write))) {
        done(write);
      } else {
        existing.add(write);
      }
    }
    for (Write write : existing) {
      write.inFlight = client.asyncGets(write.key, MemcachedClients.RAW_BYTES);
    }
    List<Write> retry = new ArrayList<>();
    List<Write> swapping = new ArrayList<>();
    for (Write write : existing) {
      @SuppressWarnings("unchecked")
      CASValue<byte[]> stored = (CASValue<byte[]>) await(write);
      if (stored == null) {
        retry.add(write);
      } else if (OnlineFeatureCodec.versionOf(stored.getValue()).compareTo(write.version) > 0) {
        skipped++;
      } else {
        write.cas = stored.getCas();
        swapping.add(write);
      }
    }
    for (Write write : swapping) {
      write.inFlight =
          client.asyncCAS(write.key, write.cas, write.value, MemcachedClients.RAW_BYTES);
    }
    for (Write write : swapping) {
      if (await(write) == CASResponse.OK) {
        done(write);
      } else {
        retry.add(write);
      }
    }
    return retry;
  }

  private Object await(Write write)
      throws InterruptedException, ExecutionException, TimeoutException {
    return write.inFlight.get(timeoutMillis, TimeUnit.MILLISECONDS);
  }

  private void done(Write write) {
    if (write.erasure) {
      deleted++;
    } else {
      written++;
    }
  }

  /** Features that were applied so far. */
  public long written() {
    return written;
  }

  /** Erasures that were applied so far. */
  public long deleted() {
    return deleted;
  }

  /**
   * Writes not applied: memcached already held a newer version, or a later write of the same key
   * superseded it.
   */
  public long skipped() {
    return skipped;
  }

  /** The online store could not take a write; the range will be retried. */
  public static final class OnlineStoreException extends RuntimeException {
    OnlineStoreException(String message) {
      super(message);
    }

    OnlineStoreException(String message, Throwable cause) {
      super(message, cause);
    }
  }
}
