package dev.featurestore.replicator.sync;

import dev.featurestore.common.MemcachedClients;
import dev.featurestore.common.MemcachedKeyScheme;
import dev.featurestore.common.OnlineFeature;
import dev.featurestore.common.OnlineFeatureCodec;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Predicate;
import net.spy.memcached.MemcachedClient;
import net.spy.memcached.internal.OperationFuture;

/**
 * Writes features to memcached in pipelined batches: a batch of sets and deletes is issued at once and then awaited, and any
 * failed set fails the whole flush, so the caller never advances its checkpoint past a lost write. Sets to one
 * server travel on one connection in order, so when the same doc id is written twice the later write wins.
 */
public final class OnlineStoreWriter {

  private final MemcachedClient client;
  private final MemcachedKeyScheme keys;
  private final int batchSize;
  private final long timeoutMillis;
  private final Predicate<String> keyFilter;
  private final List<OperationFuture<Boolean>> pending = new ArrayList<>();
  private final List<OperationFuture<Boolean>> pendingDeletes = new ArrayList<>();
  private long written;
  private long deleted;

  public OnlineStoreWriter(MemcachedClient client, MemcachedKeyScheme keys, int batchSize, long timeoutMillis) {
    this(client, keys, batchSize, timeoutMillis, key -> true);
  }

  private OnlineStoreWriter(
      MemcachedClient client, MemcachedKeyScheme keys, int batchSize, long timeoutMillis, Predicate<String> keyFilter) {
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

  public MemcachedClient client() {
    return client;
  }

  public MemcachedKeyScheme keys() {
    return keys;
  }

  /** Queues one set; flushes when a batch is full. */
  public void set(OnlineFeature feature) {
    String key = keys.keyFor(feature.docId());
    if (!keyFilter.test(key)) {
      return;
    }
    pending.add(client.set(key, 0, OnlineFeatureCodec.encode(feature), MemcachedClients.RAW_BYTES));
    if (pending.size() + pendingDeletes.size() >= batchSize) {
      flush();
    }
  }

  /** Queues one delete; flushes when a batch is full. A key that is already gone counts as deleted. */
  public void delete(String docId) {
    String key = keys.keyFor(docId);
    if (!keyFilter.test(key)) {
      return;
    }
    pendingDeletes.add(client.delete(key));
    if (pending.size() + pendingDeletes.size() >= batchSize) {
      flush();
    }
  }

  /** Waits for every queued operation; throws if any did not succeed. */
  public void flush() {
    try {
      for (OperationFuture<Boolean> set : pending) {
        Boolean ok = set.get(timeoutMillis, TimeUnit.MILLISECONDS);
        if (!Boolean.TRUE.equals(ok)) {
          throw new OnlineStoreException("memcached refused set of " + set.getKey() + ": " + set.getStatus().getMessage());
        }
        written++;
      }
      for (OperationFuture<Boolean> delete : pendingDeletes) {
        delete.get(timeoutMillis, TimeUnit.MILLISECONDS);
        if (!delete.getStatus().isSuccess() && delete.getStatus().getStatusCode() != net.spy.memcached.ops.StatusCode.ERR_NOT_FOUND) {
          throw new OnlineStoreException("memcached refused delete of " + delete.getKey() + ": " + delete.getStatus().getMessage());
        }
        deleted++;
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new OnlineStoreException("Interrupted while writing to memcached", e);
    } catch (ExecutionException | TimeoutException | RuntimeException e) {
      pending.forEach(set -> set.cancel());
      pendingDeletes.forEach(delete -> delete.cancel());
      throw e instanceof OnlineStoreException ose ? ose : new OnlineStoreException("memcached write failed: " + e, e);
    } finally {
      pending.clear();
      pendingDeletes.clear();
    }
  }

  /** Deletes that succeeded so far. */
  public long deleted() {
    return deleted;
  }

  /** Sets that succeeded so far. */
  public long written() {
    return written;
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
