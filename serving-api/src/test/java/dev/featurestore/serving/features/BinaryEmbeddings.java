package dev.featurestore.serving.features;

import dev.featurestore.api.FeatureRow;
import dev.featurestore.api.FeatureVersion;
import dev.featurestore.api.ModelId;
import dev.featurestore.api.OnlineFeature;
import dev.featurestore.api.Timestamps;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * A client-side reader of the binary representation, written from its documented layout (not the
 * server's code).
 */
final class BinaryEmbeddings {

  /** One result: the feature, or null when the id was not found. */
  record Result(String docId, OnlineFeature feature) {}

  private BinaryEmbeddings() {}

  static List<Result> decode(byte[] body) {
    ByteBuffer buffer = ByteBuffer.wrap(body).order(ByteOrder.LITTLE_ENDIAN);
    byte[] magic = new byte[4];
    buffer.get(magic);
    if (!Arrays.equals(magic, "FSE1".getBytes(StandardCharsets.US_ASCII))) {
      throw new IllegalArgumentException("not FSE1: " + Arrays.toString(magic));
    }
    int count = buffer.getInt();
    int dimension = buffer.getInt();
    List<Result> results = new ArrayList<>(count);
    for (int i = 0; i < count; i++) {
      boolean found = buffer.get() == 1;
      String docId = string(buffer);
      if (!found) {
        results.add(new Result(docId, null));
        continue;
      }
      long snapshotId = buffer.getLong();
      long sequenceNumber = buffer.getLong();
      long eventMicros = buffer.getLong();
      long processedMicros = buffer.getLong();
      ModelId model = ModelId.of(string(buffer), string(buffer));
      float[] embedding = new float[dimension];
      for (int d = 0; d < dimension; d++) {
        embedding[d] = buffer.getFloat();
      }
      FeatureRow row =
          new FeatureRow(
              docId,
              embedding,
              model,
              Timestamps.fromMicros(eventMicros),
              Timestamps.fromMicros(processedMicros));
      results.add(
          new Result(docId, OnlineFeature.of(row, FeatureVersion.of(snapshotId, sequenceNumber))));
    }
    if (buffer.hasRemaining()) {
      throw new IllegalArgumentException(buffer.remaining() + " trailing bytes");
    }
    return results;
  }

  private static String string(ByteBuffer buffer) {
    byte[] bytes = new byte[Short.toUnsignedInt(buffer.getShort())];
    buffer.get(bytes);
    return new String(bytes, StandardCharsets.UTF_8);
  }
}
