package dev.featurestore.training;

import dev.featurestore.api.Embeddings;
import dev.featurestore.api.ModelId;
import dev.featurestore.api.Timestamps;
import dev.featurestore.iceberg.FeatureTable;
import java.io.Closeable;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.iceberg.Schema;
import org.apache.iceberg.Table;
import org.apache.iceberg.data.IcebergGenerics;
import org.apache.iceberg.data.Record;
import org.apache.iceberg.io.CloseableIterable;

/**
 * Every version of every doc id in one snapshot of the table, ready for point-in-time lookups: per
 * doc id its versions sorted by processing time, in memory (an entry, the id and three longs per
 * version), and their embeddings in a scratch file (1,536 bytes each, read back by position), so a
 * training set needs one pass over the table however many entities ask for it.
 *
 * <p>Of the versions of one id processed at the same microsecond (records of one commit), the one
 * with the highest Kafka offset is kept: it is the one the replicator applied last.
 */
final class FeatureHistory implements Closeable {

  /** What a doc id was as of a time. */
  record Version(Instant processedAt, ModelId model, long embeddingRef, boolean deleted) {}

  private static final int VECTOR_BYTES = Embeddings.DIMENSION * Float.BYTES;
  // per version: processed_at micros, Kafka offset (ties), embedding ref << 17 | model << 1 |
  // deleted
  private static final int LONGS = 3;

  private final Map<String, long[]> versionsById = new HashMap<>();
  private final List<ModelId> models = new ArrayList<>();
  private final Path spillFile;
  private final FileChannel spill;
  private final ByteBuffer vector =
      ByteBuffer.allocate(VECTOR_BYTES).order(ByteOrder.LITTLE_ENDIAN);
  private long versions;
  private long spilled;

  private FeatureHistory(Path scratchDir) throws IOException {
    this.spillFile = Files.createTempFile(scratchDir, "featurestore-training-", ".vectors");
    this.spill =
        FileChannel.open(
            spillFile,
            StandardOpenOption.READ,
            StandardOpenOption.WRITE,
            StandardOpenOption.DELETE_ON_CLOSE);
  }

  /** Reads every row of {@code snapshotId} (null: the table is empty) into a history. */
  static FeatureHistory read(Table table, Long snapshotId, Path scratchDir) {
    FeatureHistory history;
    try {
      history = new FeatureHistory(scratchDir);
    } catch (IOException e) {
      throw new UncheckedIOException("Cannot create a scratch file in " + scratchDir, e);
    }
    if (snapshotId == null) {
      return history;
    }
    Schema schema = table.schemas().get(table.snapshot(snapshotId).schemaId());
    List<String> columns =
        FeatureTable.versionColumns(
            schema == null ? table.schema() : schema,
            FeatureTable.DOC_ID,
            FeatureTable.EMBEDDING,
            FeatureTable.MODEL_NAME,
            FeatureTable.MODEL_DIGEST,
            FeatureTable.PROCESSED_AT,
            FeatureTable.KAFKA_OFFSET);
    boolean hasDeleted = columns.contains(FeatureTable.DELETED);
    try (CloseableIterable<Record> rows =
        IcebergGenerics.read(table).useSnapshot(snapshotId).select(columns).build()) {
      for (Record row : rows) {
        history.add(row, hasDeleted);
      }
      for (Map.Entry<String, long[]> entry : history.versionsById.entrySet()) {
        entry.setValue(sortedByTime(entry.getValue()));
      }
    } catch (IOException | RuntimeException e) {
      history.close();
      if (e instanceof IOException io) {
        throw new UncheckedIOException("Cannot read snapshot " + snapshotId, io);
      }
      throw (RuntimeException) e;
    }
    return history;
  }

  private void add(Record row, boolean hasDeleted) throws IOException {
    String docId = (String) row.getField(FeatureTable.DOC_ID);
    boolean deleted = hasDeleted && Boolean.TRUE.equals(row.getField(FeatureTable.DELETED));
    long ref = -1;
    if (!deleted) {
      @SuppressWarnings("unchecked")
      List<Float> embedding = (List<Float>) row.getField(FeatureTable.EMBEDDING);
      vector.clear();
      for (Float value : embedding) {
        vector.putFloat(value);
      }
      vector.flip();
      ref = spilled++;
      long position = ref * VECTOR_BYTES;
      while (vector.hasRemaining()) {
        position += spill.write(vector, position);
      }
    }
    ModelId model =
        ModelId.of(
            (String) row.getField(FeatureTable.MODEL_NAME),
            (String) row.getField(FeatureTable.MODEL_DIGEST));
    int modelIndex = models.indexOf(model);
    if (modelIndex < 0) {
      modelIndex = models.size();
      models.add(model);
    }
    Long offset = (Long) row.getField(FeatureTable.KAFKA_OFFSET);
    long micros =
        Timestamps.toMicros(((OffsetDateTime) row.getField(FeatureTable.PROCESSED_AT)).toInstant());
    long packed = ((ref + 1) << 17) | ((long) modelIndex << 1) | (deleted ? 1 : 0);
    long[] existing = versionsById.get(docId);
    long[] grown;
    if (existing == null) {
      grown = new long[LONGS];
    } else {
      grown = Arrays.copyOf(existing, existing.length + LONGS);
    }
    int at = grown.length - LONGS;
    grown[at] = micros;
    grown[at + 1] = offset == null ? -1 : offset;
    grown[at + 2] = packed;
    versionsById.put(docId, grown);
    versions++;
  }

  /** Versions sorted by time, of those sharing a time only the one with the highest offset. */
  private static long[] sortedByTime(long[] flat) {
    int count = flat.length / LONGS;
    if (count == 1) {
      return flat;
    }
    Integer[] order = new Integer[count];
    for (int i = 0; i < count; i++) {
      order[i] = i;
    }
    Arrays.sort(
        order,
        (a, b) -> {
          int byTime = Long.compare(flat[a * LONGS], flat[b * LONGS]);
          return byTime != 0 ? byTime : Long.compare(flat[a * LONGS + 1], flat[b * LONGS + 1]);
        });
    long[] sorted = new long[flat.length];
    int kept = 0;
    for (int i = 0; i < count; i++) {
      int from = order[i] * LONGS;
      if (kept > 0 && sorted[(kept - 1) * LONGS] == flat[from]) {
        kept--; // same time: the later offset replaces the earlier
      }
      System.arraycopy(flat, from, sorted, kept * LONGS, LONGS);
      kept++;
    }
    return kept == count ? sorted : Arrays.copyOf(sorted, kept * LONGS);
  }

  /** The newest version of {@code docId} processed at or before {@code asOf}, or null. */
  Version asOf(String docId, Instant asOf) {
    long[] flat = versionsById.get(docId);
    if (flat == null) {
      return null;
    }
    long micros = Timestamps.toMicros(asOf);
    int low = 0;
    int high = flat.length / LONGS - 1;
    int found = -1;
    while (low <= high) {
      int mid = (low + high) >>> 1;
      if (flat[mid * LONGS] <= micros) {
        found = mid;
        low = mid + 1;
      } else {
        high = mid - 1;
      }
    }
    if (found < 0) {
      return null;
    }
    long packed = flat[found * LONGS + 2];
    return new Version(
        Timestamps.fromMicros(flat[found * LONGS]),
        models.get((int) ((packed >>> 1) & 0xFFFF)),
        (packed >>> 17) - 1,
        (packed & 1) == 1);
  }

  /** The embedding of a version that is not a deletion. */
  float[] embedding(Version version) {
    ByteBuffer buffer = ByteBuffer.allocate(VECTOR_BYTES).order(ByteOrder.LITTLE_ENDIAN);
    long position = version.embeddingRef() * VECTOR_BYTES;
    try {
      while (buffer.hasRemaining()) {
        int read = spill.read(buffer, position + buffer.position());
        if (read < 0) {
          throw new IllegalStateException("Scratch file " + spillFile + " ends early");
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException("Cannot read " + spillFile, e);
    }
    buffer.flip();
    float[] floats = new float[Embeddings.DIMENSION];
    buffer.asFloatBuffer().get(floats);
    return floats;
  }

  long versions() {
    return versions;
  }

  @Override
  public void close() {
    try {
      spill.close();
      Files.deleteIfExists(spillFile);
    } catch (IOException e) {
      throw new UncheckedIOException("Cannot delete " + spillFile, e);
    }
  }
}
