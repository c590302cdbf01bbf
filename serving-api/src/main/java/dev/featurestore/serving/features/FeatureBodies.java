package dev.featurestore.serving.features;

import dev.featurestore.api.Embeddings;
import dev.featurestore.api.StoredFeature;
import dev.featurestore.api.Timestamps;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.util.concurrent.FastThreadLocal;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The bodies of lookup answers, written straight from the decoded feature into the bytes that go
 * out: no response objects, no boxing, the floats formatted by {@link EmbeddingJson}.
 *
 * <p>JSON (field names are snake_case like the table's columns):
 *
 * <pre>
 * {"doc_id":..,"model":..,"model_digest":..,"embedding":[..],"event_time":..,"processed_at":..,
 *  "snapshot_id":..,"sequence_number":..}
 * {"results":[{"doc_id":..,"found":true,"feature":{..}},{"doc_id":..,"found":false}],"found":1,"missing":1}
 * </pre>
 *
 * The binary representation, for clients that want the last microseconds: the floats as the writer
 * computed them, bit for bit; asked for with {@code Accept:
 * application/vnd.featurestore.embeddings}; every number is little-endian; a single lookup is a
 * batch of one.
 *
 * <pre>
 * 4 bytes   magic "FSE1"
 * u32       count of results, u32 dimension (384)
 * count x   u8 found (1) or not (0)
 *           u16 length + UTF-8 doc id
 *           if found: i64 snapshot id, i64 sequence number, i64 event time, i64 processed at (epoch micros),
 *                     u16 length + UTF-8 model name, u16 length + UTF-8 model digest, dimension x float32
 * </pre>
 */
public final class FeatureBodies {

  public static final String JSON = "application/json";
  public static final String BINARY = "application/vnd.featurestore.embeddings";
  static final byte[] MAGIC = {'F', 'S', 'E', '1'};

  /** A JSON answer is written here first: its size is only known once the floats are written. */
  private static final FastThreadLocal<JsonBytes> SCRATCH =
      new FastThreadLocal<>() {
        @Override
        protected JsonBytes initialValue() {
          return new JsonBytes();
        }
      };

  private FeatureBodies() {}

  /** {@code docId}: the id asked for, which the stored value was checked to hold. */
  static ByteBuf json(String docId, ServedFeature feature, ByteBufAllocator allocator) {
    byte[] kept = feature.keptJson();
    if (kept != null) {
      // never written to: the answer can go out from the kept bytes themselves
      return Unpooled.wrappedBuffer(kept);
    }
    JsonBytes json = SCRATCH.get().reset();
    feature(json, docId, feature);
    return json.copyTo(allocator);
  }

  static ByteBuf jsonBatch(
      List<String> requested,
      Map<String, Optional<ServedFeature>> answers,
      ByteBufAllocator alloc) {
    JsonBytes json = SCRATCH.get().reset();
    json.raw("{\"results\":[");
    int found = 0;
    for (int i = 0; i < requested.size(); i++) {
      String docId = requested.get(i);
      Optional<ServedFeature> answer = answers.get(docId);
      json.raw(i == 0 ? "{\"doc_id\":" : ",{\"doc_id\":").string(docId);
      if (answer.isPresent()) {
        found++;
        json.raw(",\"found\":true,\"feature\":");
        feature(json, docId, answer.get());
        json.raw("}");
      } else {
        json.raw(",\"found\":false}");
      }
    }
    json.raw("],\"found\":").number(found).raw(",\"missing\":").number(requested.size() - found);
    return json.raw("}").copyTo(alloc);
  }

  /** {@code docId}'s JSON object: the kept copy, or written (and kept if the id is popular). */
  private static void feature(JsonBytes json, String docId, ServedFeature served) {
    byte[] kept = served.keptJson();
    if (kept != null) {
      json.raw(kept);
      return;
    }
    int from = json.at;
    feature(json, docId, served.stored());
    if (served.isPopular()) {
      served.keepJson(json.copyFrom(from));
    }
  }

  private static void feature(JsonBytes json, String docId, StoredFeature feature) {
    json.raw("{\"doc_id\":").string(docId);
    json.raw(",\"model\":").stored(feature, feature.modelNameOffset(), feature.modelNameLength());
    json.raw(",\"model_digest\":")
        .stored(feature, feature.modelDigestOffset(), feature.modelDigestLength());
    json.raw(",\"embedding\":").embedding(feature);
    json.raw(",\"event_time\":").instant(feature.eventTimeMicros());
    json.raw(",\"processed_at\":").instant(feature.processedAtMicros());
    json.raw(",\"snapshot_id\":").number(feature.snapshotId());
    json.raw(",\"sequence_number\":").number(feature.sequenceNumber()).raw("}");
  }

  /** The binary representation of {@code requested}, each answered from {@code answers}. */
  static ByteBuf binary(
      List<String> requested,
      Map<String, Optional<ServedFeature>> answers,
      ByteBufAllocator alloc) {
    int size = MAGIC.length + 2 * Integer.BYTES;
    for (String docId : requested) {
      size += 1 + Short.BYTES + ByteBufUtil.utf8Bytes(docId);
      Optional<ServedFeature> answer = answers.get(docId);
      if (answer.isPresent()) {
        StoredFeature feature = answer.get().stored();
        size += 4 * Long.BYTES + 2 * Short.BYTES;
        size += feature.modelNameLength() + feature.modelDigestLength();
        size += feature.dimension() * Float.BYTES;
      }
    }
    ByteBuf out = alloc.buffer(size);
    out.writeBytes(MAGIC).writeIntLE(requested.size()).writeIntLE(Embeddings.DIMENSION);
    for (String docId : requested) {
      Optional<ServedFeature> answer = answers.get(docId);
      out.writeByte(answer.isPresent() ? 1 : 0);
      putString(out, docId);
      if (answer.isPresent()) {
        StoredFeature feature = answer.get().stored();
        byte[] stored = feature.bytes();
        out.writeLongLE(feature.snapshotId());
        out.writeLongLE(feature.sequenceNumber());
        out.writeLongLE(feature.eventTimeMicros());
        out.writeLongLE(feature.processedAtMicros());
        out.writeShortLE(feature.modelNameLength());
        out.writeBytes(stored, feature.modelNameOffset(), feature.modelNameLength());
        out.writeShortLE(feature.modelDigestLength());
        out.writeBytes(stored, feature.modelDigestOffset(), feature.modelDigestLength());
        // stored as little-endian float32 too: copied as they are, bit for bit
        out.writeBytes(stored, feature.embeddingOffset(), feature.dimension() * Float.BYTES);
      }
    }
    return out;
  }

  private static void putString(ByteBuf out, String value) {
    int lengthAt = out.writerIndex();
    out.writeShortLE(0);
    int length = ByteBufUtil.writeUtf8(out, value);
    out.setShortLE(lengthAt, length);
  }

  /** A growing byte array JSON is written into; one per event loop thread, reused. */
  private static final class JsonBytes {
    private static final byte[] HEX = "0123456789abcdef".getBytes(StandardCharsets.US_ASCII);
    private byte[] bytes = new byte[16 * 1024];
    private int at;

    JsonBytes reset() {
      at = 0;
      return this;
    }

    private void ensure(int more) {
      if (at + more > bytes.length) {
        bytes = java.util.Arrays.copyOf(bytes, Math.max(bytes.length * 2, at + more));
      }
    }

    /** JSON written before. */
    JsonBytes raw(byte[] json) {
      ensure(json.length);
      System.arraycopy(json, 0, bytes, at, json.length);
      at += json.length;
      return this;
    }

    /** What was written from {@code from} on, copied. */
    byte[] copyFrom(int from) {
      return java.util.Arrays.copyOfRange(bytes, from, at);
    }

    /** Text that needs no escaping: field names and punctuation. */
    JsonBytes raw(String ascii) {
      ensure(ascii.length());
      for (int i = 0; i < ascii.length(); i++) {
        bytes[at++] = (byte) ascii.charAt(i);
      }
      return this;
    }

    JsonBytes number(long value) {
      return raw(Long.toString(value));
    }

    JsonBytes embedding(StoredFeature feature) {
      int dimension = feature.dimension();
      ensure(2 + dimension * (EmbeddingJson.MAX_VALUE_BYTES + 1));
      bytes[at++] = '[';
      for (int i = 0; i < dimension; i++) {
        if (i > 0) {
          bytes[at++] = ',';
        }
        at = EmbeddingJson.write(feature.embedding(i), bytes, at);
      }
      bytes[at++] = ']';
      return this;
    }

    /**
     * A stored UTF-8 string: copied as it is when it needs no escaping (model names and digests do
     * not), else decoded and escaped.
     */
    JsonBytes stored(StoredFeature feature, int offset, int length) {
      byte[] stored = feature.bytes();
      for (int i = offset; i < offset + length; i++) {
        byte b = stored[i];
        // negative: a byte of a character outside ASCII
        if (b < 0x20 || b == '"' || b == '\\') {
          return string(new String(stored, offset, length, StandardCharsets.UTF_8));
        }
      }
      ensure(length + 2);
      bytes[at++] = '"';
      System.arraycopy(stored, offset, bytes, at, length);
      at += length;
      bytes[at++] = '"';
      return this;
    }

    /** Epoch microseconds as {@link java.time.Instant#toString()} writes them, quoted. */
    JsonBytes instant(long epochMicros) {
      ensure(40);
      int end = IsoInstants.write(epochMicros, bytes, at + 1);
      if (end < 0) {
        return string(Timestamps.fromMicros(epochMicros).toString());
      }
      bytes[at] = '"';
      at = end;
      bytes[at++] = '"';
      return this;
    }

    /** A quoted, escaped JSON string in UTF-8; a lone surrogate is written as its escape. */
    JsonBytes string(String value) {
      ensure(2 + value.length() * 6);
      bytes[at++] = '"';
      for (int i = 0; i < value.length(); i++) {
        char c = value.charAt(i);
        if (c >= 0x20 && c < 0x80 && c != '"' && c != '\\') {
          bytes[at++] = (byte) c;
        } else if (c == '"' || c == '\\') {
          bytes[at++] = '\\';
          bytes[at++] = (byte) c;
        } else if (c < 0x20) {
          escape(c);
        } else if (c < 0x800) {
          bytes[at++] = (byte) (0xc0 | (c >> 6));
          bytes[at++] = (byte) (0x80 | (c & 0x3f));
        } else if (Character.isHighSurrogate(c)
            && i + 1 < value.length()
            && Character.isLowSurrogate(value.charAt(i + 1))) {
          int codePoint = Character.toCodePoint(c, value.charAt(++i));
          bytes[at++] = (byte) (0xf0 | (codePoint >> 18));
          bytes[at++] = (byte) (0x80 | ((codePoint >> 12) & 0x3f));
          bytes[at++] = (byte) (0x80 | ((codePoint >> 6) & 0x3f));
          bytes[at++] = (byte) (0x80 | (codePoint & 0x3f));
        } else if (Character.isSurrogate(c)) {
          escape(c);
        } else {
          bytes[at++] = (byte) (0xe0 | (c >> 12));
          bytes[at++] = (byte) (0x80 | ((c >> 6) & 0x3f));
          bytes[at++] = (byte) (0x80 | (c & 0x3f));
        }
      }
      bytes[at++] = '"';
      return this;
    }

    private void escape(char c) {
      bytes[at++] = '\\';
      bytes[at++] = 'u';
      bytes[at++] = HEX[(c >> 12) & 0xf];
      bytes[at++] = HEX[(c >> 8) & 0xf];
      bytes[at++] = HEX[(c >> 4) & 0xf];
      bytes[at++] = HEX[c & 0xf];
    }

    ByteBuf copyTo(ByteBufAllocator allocator) {
      ByteBuf out = allocator.buffer(at);
      out.writeBytes(bytes, 0, at);
      return out;
    }
  }
}
