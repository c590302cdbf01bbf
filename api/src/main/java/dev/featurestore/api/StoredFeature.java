package dev.featurestore.api;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;

/**
 * A feature value as the online store holds it ({@link OnlineFeatureCodec}'s format 1), read in
 * place: parsing checks the layout and notes where each field is, without copying the floats or
 * building strings, so a server can answer straight from the stored bytes. {@link #toFeature()}
 * decodes it whole.
 */
public final class StoredFeature {

  private static final VarHandle FLOAT_LE =
      MethodHandles.byteArrayViewVarHandle(float[].class, ByteOrder.LITTLE_ENDIAN);
  private static final VarHandle LONG_LE =
      MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);

  private final byte[] bytes;
  private final int docIdAt;
  private final int docIdLength;
  private final int modelNameAt;
  private final int modelNameLength;
  private final int modelDigestAt;
  private final int modelDigestLength;
  private final int embeddingAt;
  private final int dimension;

  private StoredFeature(byte[] bytes) {
    Preconditions.checkArgument(
        bytes != null && bytes.length >= OnlineFeatureCodec.FIXED_BYTES,
        "Invalid feature value: too short");
    Preconditions.checkArgument(
        bytes[0] == OnlineFeatureCodec.FORMAT_V1, "Invalid feature value format: %s", bytes[0]);
    this.bytes = bytes;
    int at = 1 + 4 * Long.BYTES;
    this.docIdLength = lengthAt(at);
    this.docIdAt = at + 2;
    at = docIdAt + docIdLength;
    this.modelNameLength = lengthAt(at);
    this.modelNameAt = at + 2;
    at = modelNameAt + modelNameLength;
    this.modelDigestLength = lengthAt(at);
    this.modelDigestAt = at + 2;
    at = modelDigestAt + modelDigestLength;
    Preconditions.checkArgument(
        at + 2 <= bytes.length, "Invalid feature value: truncated (%s bytes)", bytes.length);
    this.dimension = unsignedShortAt(at);
    this.embeddingAt = at + 2;
    Preconditions.checkArgument(
        bytes.length - embeddingAt == dimension * Float.BYTES,
        "Invalid feature value: %s bytes left for %s floats",
        bytes.length - embeddingAt,
        dimension);
  }

  /**
   * @throws IllegalArgumentException if {@code bytes} is not a format-1 feature value
   */
  public static StoredFeature parse(byte[] bytes) {
    return new StoredFeature(bytes);
  }

  /** The length of the string at {@code at}, checked to fit in the value. */
  private int lengthAt(int at) {
    Preconditions.checkArgument(
        at + 2 <= bytes.length, "Invalid feature value: truncated (%s bytes)", bytes.length);
    int length = unsignedShortAt(at);
    Preconditions.checkArgument(
        at + 2 + length <= bytes.length, "Invalid feature value: string of %s bytes", length);
    return length;
  }

  private int unsignedShortAt(int at) {
    return (bytes[at] & 0xff) | (bytes[at + 1] & 0xff) << 8;
  }

  public long snapshotId() {
    return (long) LONG_LE.get(bytes, 1);
  }

  public long sequenceNumber() {
    return (long) LONG_LE.get(bytes, 1 + Long.BYTES);
  }

  public long eventTimeMicros() {
    return (long) LONG_LE.get(bytes, 1 + 2 * Long.BYTES);
  }

  public long processedAtMicros() {
    return (long) LONG_LE.get(bytes, 1 + 3 * Long.BYTES);
  }

  public int dimension() {
    return dimension;
  }

  /** The {@code i}-th float of the embedding. */
  public float embedding(int i) {
    // called 384 times per answer: a check that builds no message array unless it fails
    java.util.Objects.checkIndex(i, dimension);
    return (float) FLOAT_LE.get(bytes, embeddingAt + i * Float.BYTES);
  }

  /** Whether the stored doc id is {@code docId}, compared without decoding it. */
  public boolean hasDocId(String docId) {
    if (docId.length() == docIdLength) {
      // all ASCII on both sides: equal lengths, so compare character by character
      for (int i = 0; i < docIdLength; i++) {
        char c = docId.charAt(i);
        if (c >= 0x80 || bytes[docIdAt + i] != (byte) c) {
          return c >= 0x80 && docId.equals(docId());
        }
      }
      return true;
    }
    return docId.length() < docIdLength && docId.equals(docId());
  }

  public String docId() {
    return new String(bytes, docIdAt, docIdLength, StandardCharsets.UTF_8);
  }

  public String modelName() {
    return new String(bytes, modelNameAt, modelNameLength, StandardCharsets.UTF_8);
  }

  public String modelDigest() {
    return new String(bytes, modelDigestAt, modelDigestLength, StandardCharsets.UTF_8);
  }

  /** The stored bytes; not a copy: do not change them. */
  public byte[] bytes() {
    return bytes;
  }

  public int modelNameOffset() {
    return modelNameAt;
  }

  public int modelNameLength() {
    return modelNameLength;
  }

  public int modelDigestOffset() {
    return modelDigestAt;
  }

  public int modelDigestLength() {
    return modelDigestLength;
  }

  /** Where the embedding's little-endian floats start in {@link #bytes()}. */
  public int embeddingOffset() {
    return embeddingAt;
  }

  public OnlineFeature toFeature() {
    float[] embedding = new float[dimension];
    for (int i = 0; i < dimension; i++) {
      embedding[i] = (float) FLOAT_LE.get(bytes, embeddingAt + i * Float.BYTES);
    }
    return OnlineFeature.of(
        new FeatureRow(
            docId(),
            embedding,
            ModelId.of(modelName(), modelDigest()),
            Timestamps.fromMicros(eventTimeMicros()),
            Timestamps.fromMicros(processedAtMicros())),
        FeatureVersion.of(snapshotId(), sequenceNumber()));
  }
}
