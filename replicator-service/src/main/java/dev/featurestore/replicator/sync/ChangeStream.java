package dev.featurestore.replicator.sync;

import dev.featurestore.api.FeatureVersion;
import dev.featurestore.api.OnlineFeature;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * Applies a plan's changes with reading and writing overlapped: a reader thread decodes Parquet
 * rows into a bounded queue while the calling thread writes them to memcached, in the same order.
 * Decoding {@code list<float>} rows and waiting for memcached are the two halves of a re-warm;
 * overlapping them is what makes it fast.
 */
final class ChangeStream {

  private static final int CHUNK = 256;
  private static final Object END = new Object();

  private record Erase(String docId, FeatureVersion version) {}

  private record Failure(RuntimeException error) {}

  private ChangeStream() {}

  static void apply(
      TableChangeReader reader,
      List<TableChangeReader.Change> changes,
      OnlineStoreWriter writer,
      Runnable heartbeat) {
    BlockingQueue<Object> queue = new ArrayBlockingQueue<>(64);
    Thread decoder =
        new Thread(
            () -> {
              List<Object> chunk = new ArrayList<>(CHUNK);
              try {
                for (TableChangeReader.Change change : changes) {
                  reader.read(
                      change,
                      feature -> chunk(queue, chunk, feature),
                      (docId, version) -> chunk(queue, chunk, new Erase(docId, version)));
                }
                flushChunk(queue, chunk);
                put(queue, END);
              } catch (RuntimeException e) {
                put(queue, new Failure(e));
              }
            },
            "replicator-decoder");
    decoder.setDaemon(true);
    decoder.start();
    try {
      while (true) {
        Object item = queue.poll(30, TimeUnit.SECONDS);
        if (item == null) {
          throw new IllegalStateException("Table decoder stalled for 30 s");
        }
        if (item == END) {
          return;
        }
        if (item instanceof Failure failure) {
          throw failure.error();
        }
        heartbeat.run();
        for (Object change : (List<?>) item) {
          if (change instanceof OnlineFeature feature) {
            writer.set(feature);
          } else if (change instanceof Erase erase) {
            writer.delete(erase.docId(), erase.version());
          }
        }
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("Interrupted while applying table changes", e);
    } finally {
      decoder.interrupt();
    }
  }

  private static void chunk(BlockingQueue<Object> queue, List<Object> chunk, Object item) {
    chunk.add(item);
    if (chunk.size() >= CHUNK) {
      flushChunk(queue, chunk);
    }
  }

  private static void flushChunk(BlockingQueue<Object> queue, List<Object> chunk) {
    if (!chunk.isEmpty()) {
      put(queue, new ArrayList<>(chunk));
      chunk.clear();
    }
  }

  private static void put(BlockingQueue<Object> queue, Object item) {
    try {
      queue.put(item);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("Decoder interrupted", e);
    }
  }
}
