package dev.featurestore.api;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;

/**
 * The Memcached value format of an {@link OnlineFeature}: compact, little-endian, versioned by a
 * leading format byte so that a reader can refuse values it does not understand instead of
 * misreading them.
 *
 * <pre>
 * byte    format (1)
 * long    snapshot id, long sequence number
 * long    event time (epoch micros), long processed at (epoch micros)
 * short+  doc id, model name, model digest (UTF-8, each prefixed by its byte length as an unsigned short)
 * short   dimension, then dimension x float32
 * </pre>
 *
 * Floats are copied bit for bit, so what the writer computed is exactly what is served.
 *
 * <p>An erased doc id is kept as a small marker (format 2: snapshot id, sequence number, doc id)
 * rather than a missing key, so that the version guard can refuse an older value that arrives after
 * the erasure.
 */
public final class OnlineFeatureCodec {

  public static final byte FORMAT_V1 = 1;
  public static final byte FORMAT_ERASED = 2;
  private static final int VERSION_OFFSET = 1;
  static final int FIXED_BYTES = 1 + 4 * Long.BYTES + 3 * Short.BYTES + Short.BYTES;

  private OnlineFeatureCodec() {}

  public static byte[] encode(OnlineFeature feature) {
    FeatureRow row = feature.row();
    byte[] docId = row.docId().getBytes(StandardCharsets.UTF_8);
    byte[] modelName = row.model().name().getBytes(StandardCharsets.UTF_8);
    byte[] modelDigest = row.model().digest().getBytes(StandardCharsets.UTF_8);
    float[] embedding = row.embedding();
    ByteBuffer buffer =
        ByteBuffer.allocate(
                FIXED_BYTES
                    + docId.length
                    + modelName.length
                    + modelDigest.length
                    + embedding.length * Float.BYTES)
            .order(ByteOrder.LITTLE_ENDIAN);
    buffer.put(FORMAT_V1);
    buffer.putLong(feature.version().snapshotId());
    buffer.putLong(feature.version().sequenceNumber());
    buffer.putLong(Timestamps.toMicros(row.eventTime()));
    buffer.putLong(Timestamps.toMicros(row.processedAt()));
    putString(buffer, docId);
    putString(buffer, modelName);
    putString(buffer, modelDigest);
    buffer.putShort((short) embedding.length);
    buffer.asFloatBuffer().put(embedding);
    return buffer.array();
  }

  /** The marker of a doc id erased at {@code version}. */
  public static byte[] encodeErased(String docId, FeatureVersion version) {
    byte[] id = docId.getBytes(StandardCharsets.UTF_8);
    ByteBuffer buffer =
        ByteBuffer.allocate(1 + 2 * Long.BYTES + Short.BYTES + id.length)
            .order(ByteOrder.LITTLE_ENDIAN);
    buffer.put(FORMAT_ERASED);
    buffer.putLong(version.snapshotId());
    buffer.putLong(version.sequenceNumber());
    putString(buffer, id);
    return buffer.array();
  }

  /** True if the value is the marker of an erased doc id. */
  public static boolean isErased(byte[] bytes) {
    return bytes != null && bytes.length > 0 && bytes[0] == FORMAT_ERASED;
  }

  /** The version of any value (feature or erasure marker), read without decoding the rest. */
  public static FeatureVersion versionOf(byte[] bytes) {
    Preconditions.checkArgument(
        bytes != null
            && bytes.length >= VERSION_OFFSET + 2 * Long.BYTES
            && (bytes[0] == FORMAT_V1 || bytes[0] == FORMAT_ERASED),
        "Invalid feature value: no version");
    ByteBuffer buffer = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
    return FeatureVersion.of(
        buffer.getLong(VERSION_OFFSET), buffer.getLong(VERSION_OFFSET + Long.BYTES));
  }

  public static OnlineFeature decode(byte[] bytes) {
    return StoredFeature.parse(bytes).toFeature();
  }

  private static void putString(ByteBuffer buffer, byte[] utf8) {
    Preconditions.checkArgument(utf8.length <= 0xFFFF, "Invalid string: %s bytes", utf8.length);
    buffer.putShort((short) utf8.length);
    buffer.put(utf8);
  }
}
