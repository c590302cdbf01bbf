package dev.featurestore.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

class OnlineFeatureCodecTest {

  private static final ModelId MODEL = ModelId.of("all-MiniLM-L6-v2", "sha256:0123456789abcdef");
  private static final Instant EVENT_TIME = Instant.parse("2026-11-25T10:15:30.123456Z");
  private static final Instant PROCESSED_AT = Instant.parse("2026-11-25T10:15:31.000001Z");

  @Test
  void roundTripKeepsEveryFloatBitForBit() {
    float[] embedding = embedding();
    embedding[0] = -0.0f;
    embedding[1] = 0.0f;
    embedding[2] = Float.MIN_VALUE;
    embedding[3] = -Float.MIN_VALUE;
    embedding[4] = Float.MAX_VALUE;
    embedding[5] = -Float.MAX_VALUE;
    embedding[6] = Float.MIN_NORMAL;
    embedding[7] = Math.nextDown(Float.MIN_NORMAL); // largest subnormal
    embedding[8] = Float.POSITIVE_INFINITY;
    embedding[9] = Float.NEGATIVE_INFINITY;
    embedding[383] = 1.0f / 3.0f;
    OnlineFeature feature = feature("doc-1", embedding, FeatureVersion.of(7L, 3L));

    OnlineFeature decoded = OnlineFeatureCodec.decode(OnlineFeatureCodec.encode(feature));

    assertThat(rawBits(decoded.row().embedding())).containsExactly(rawBits(embedding));
    assertThat(decoded).isEqualTo(feature);
  }

  @Test
  void roundTripKeepsUnicodeDocIdAndModelName() {
    String docId = "文档 Grüße \uD83D\uDE00 / 42";
    ModelId model = ModelId.of("MiniLM-ü-模型 \uD83E\uDD16", "sha256:" + "ab".repeat(32));
    OnlineFeature feature =
        OnlineFeature.of(
            new FeatureRow(docId, embedding(), model, EVENT_TIME, PROCESSED_AT),
            FeatureVersion.of(1, 1));

    OnlineFeature decoded = OnlineFeatureCodec.decode(OnlineFeatureCodec.encode(feature));

    assertThat(decoded.docId()).isEqualTo(docId);
    assertThat(decoded.row().model()).isEqualTo(model);
    assertThat(decoded).isEqualTo(feature);
  }

  @Test
  void roundTripKeepsTheLongestValidDocId() {
    String docId = "\uD83D\uDE00".repeat(DocIds.MAX_UTF8_BYTES / 4);
    OnlineFeature feature = feature(docId, embedding(), FeatureVersion.of(1, 1));
    assertThat(OnlineFeatureCodec.decode(OnlineFeatureCodec.encode(feature)).docId())
        .isEqualTo(docId);
  }

  @Test
  void roundTripKeepsMicrosecondTimestampsIncludingBeforeTheEpoch() {
    Instant beforeEpoch = Instant.parse("1969-12-31T23:59:59.999999Z");
    Instant farFuture = Instant.parse("2262-04-11T23:47:16.854775Z");
    OnlineFeature feature =
        OnlineFeature.of(
            new FeatureRow("doc-1", embedding(), MODEL, beforeEpoch, farFuture),
            FeatureVersion.of(1, 1));

    FeatureRow decoded = OnlineFeatureCodec.decode(OnlineFeatureCodec.encode(feature)).row();

    assertThat(decoded.eventTime()).isEqualTo(beforeEpoch);
    assertThat(decoded.processedAt()).isEqualTo(farFuture);
    FeatureRow typical =
        OnlineFeatureCodec.decode(
                OnlineFeatureCodec.encode(feature("doc-1", embedding(), FeatureVersion.of(1, 1))))
            .row();
    assertThat(typical.eventTime()).isEqualTo(EVENT_TIME);
    assertThat(typical.processedAt()).isEqualTo(PROCESSED_AT);
  }

  @Test
  void roundTripKeepsTimestampsThatIcebergStoresButThatOverflowALongOfNanos() {
    // Kafka record timestamps are any epoch millis; the writer stores them in Iceberg (whose micros
    // reach year
    // 294247), so the replicator must be able to encode them too. Nanos since the epoch overflow
    // after 2262-04-11.
    Instant year3000 = Instant.parse("3000-01-01T00:00:00.000001Z");
    OnlineFeature feature =
        OnlineFeature.of(
            new FeatureRow("doc-1", embedding(), MODEL, year3000, PROCESSED_AT),
            FeatureVersion.of(1, 1));

    FeatureRow decoded = OnlineFeatureCodec.decode(OnlineFeatureCodec.encode(feature)).row();

    assertThat(decoded.eventTime()).isEqualTo(year3000);
  }

  @Test
  void nanosecondsBeyondMicrosAreDropped() {
    Instant withNanos = Instant.parse("2026-11-25T10:15:30.123456789Z");
    OnlineFeature feature =
        OnlineFeature.of(
            new FeatureRow("doc-1", embedding(), MODEL, withNanos, withNanos),
            FeatureVersion.of(1, 1));

    FeatureRow decoded = OnlineFeatureCodec.decode(OnlineFeatureCodec.encode(feature)).row();

    assertThat(decoded.eventTime())
        .isEqualTo(Instant.parse("2026-11-25T10:15:30.123456Z"))
        .isEqualTo(Timestamps.truncate(withNanos));
  }

  @Test
  void roundTripKeepsExtremeVersions() {
    for (FeatureVersion version :
        new FeatureVersion[] {
          FeatureVersion.of(0, 0),
          FeatureVersion.of(Long.MAX_VALUE, Long.MAX_VALUE),
          FeatureVersion.of(-1L, 5L)
        }) {
      OnlineFeature decoded =
          OnlineFeatureCodec.decode(
              OnlineFeatureCodec.encode(feature("doc-1", embedding(), version)));
      assertThat(decoded.version()).isEqualTo(version);
    }
  }

  @Test
  void encodingFollowsTheDocumentedLittleEndianLayout() {
    OnlineFeature feature = feature("dé", embedding(), FeatureVersion.of(0x0102030405060708L, 9L));

    byte[] bytes = OnlineFeatureCodec.encode(feature);

    int strings =
        "dé".getBytes(StandardCharsets.UTF_8).length
            + MODEL.name().length()
            + MODEL.digest().length();
    assertThat(bytes).hasSize(1 + 4 * 8 + 3 * 2 + strings + 2 + Embeddings.DIMENSION * 4);
    ByteBuffer buffer = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
    assertThat(buffer.get()).isEqualTo(OnlineFeatureCodec.FORMAT_V1);
    assertThat(bytes[1]).isEqualTo((byte) 0x08);
    assertThat(buffer.getLong()).isEqualTo(0x0102030405060708L);
    assertThat(buffer.getLong()).isEqualTo(9L);
    assertThat(buffer.getLong()).isEqualTo(Timestamps.toMicros(EVENT_TIME));
    assertThat(buffer.getLong()).isEqualTo(Timestamps.toMicros(PROCESSED_AT));
    assertThat(buffer.getShort()).isEqualTo((short) 3);
    buffer.position(
        buffer.position() + 3 + 2 + MODEL.name().length() + 2 + MODEL.digest().length());
    assertThat(buffer.getShort()).isEqualTo((short) Embeddings.DIMENSION);
    assertThat(buffer.getFloat()).isEqualTo(feature.row().embedding()[0]);
  }

  @Test
  void rejectsUnknownFormatByte() {
    byte[] bytes =
        OnlineFeatureCodec.encode(feature("doc-1", embedding(), FeatureVersion.of(1, 1)));
    bytes[0] = 2;
    assertThatThrownBy(() -> OnlineFeatureCodec.decode(bytes))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("Invalid feature value format: 2");
    bytes[0] = 0;
    assertThatThrownBy(() -> OnlineFeatureCodec.decode(bytes))
        .hasMessage("Invalid feature value format: 0");
  }

  @Test
  void rejectsNullEmptyAndTooShortValues() {
    assertThatThrownBy(() -> OnlineFeatureCodec.decode(null))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("Invalid feature value: too short");
    assertThatThrownBy(() -> OnlineFeatureCodec.decode(new byte[0]))
        .hasMessage("Invalid feature value: too short");
    assertThatThrownBy(() -> OnlineFeatureCodec.decode(new byte[] {OnlineFeatureCodec.FORMAT_V1}))
        .hasMessage("Invalid feature value: too short");
  }

  @Test
  void rejectsValueTruncatedInsideTheEmbedding() {
    byte[] bytes =
        OnlineFeatureCodec.encode(feature("doc-1", embedding(), FeatureVersion.of(1, 1)));
    byte[] truncated = Arrays.copyOf(bytes, bytes.length - 1);
    assertThatThrownBy(() -> OnlineFeatureCodec.decode(truncated))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("Invalid feature value: 1535 bytes left for 384 floats");
  }

  @Test
  void rejectsValueTruncatedInsideAString() {
    byte[] bytes =
        OnlineFeatureCodec.encode(feature("d".repeat(100), embedding(), FeatureVersion.of(1, 1)));
    byte[] truncated = Arrays.copyOf(bytes, 1 + 4 * 8 + 2 + 50);
    assertThatThrownBy(() -> OnlineFeatureCodec.decode(truncated))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("Invalid feature value: string of 100 bytes");
  }

  @Test
  void rejectsEveryTruncationWithAnIllegalArgumentNamingTheProblem() {
    byte[] bytes =
        OnlineFeatureCodec.encode(feature("doc-42", embedding(), FeatureVersion.of(1, 1)));
    for (int length = 0; length < bytes.length; length++) {
      byte[] truncated = Arrays.copyOf(bytes, length);
      assertThatThrownBy(() -> OnlineFeatureCodec.decode(truncated))
          .as("value truncated to %s of %s bytes", length, bytes.length)
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageStartingWith("Invalid feature value");
    }
  }

  @Test
  void rejectsTrailingGarbage() {
    byte[] bytes =
        OnlineFeatureCodec.encode(feature("doc-1", embedding(), FeatureVersion.of(1, 1)));
    assertThatThrownBy(() -> OnlineFeatureCodec.decode(Arrays.copyOf(bytes, bytes.length + 1)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("Invalid feature value: 1537 bytes left for 384 floats");
    assertThatThrownBy(() -> OnlineFeatureCodec.decode(Arrays.copyOf(bytes, bytes.length + 4)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("Invalid feature value: 1540 bytes left for 384 floats");
  }

  @Test
  void rejectsValueWhoseEmbeddingHasTheWrongDimension() {
    ModelId model = MODEL;
    byte[] docId = "doc-1".getBytes(StandardCharsets.UTF_8);
    ByteBuffer buffer =
        ByteBuffer.allocate(
                1
                    + 32
                    + 2
                    + docId.length
                    + 2
                    + model.name().length()
                    + 2
                    + model.digest().length()
                    + 2
                    + 4 * 2)
            .order(ByteOrder.LITTLE_ENDIAN);
    buffer.put(OnlineFeatureCodec.FORMAT_V1).putLong(1).putLong(1).putLong(0).putLong(0);
    buffer.putShort((short) docId.length).put(docId);
    buffer
        .putShort((short) model.name().length())
        .put(model.name().getBytes(StandardCharsets.US_ASCII));
    buffer
        .putShort((short) model.digest().length())
        .put(model.digest().getBytes(StandardCharsets.US_ASCII));
    buffer.putShort((short) 2).putFloat(0.6f).putFloat(0.8f);

    assertThatThrownBy(() -> OnlineFeatureCodec.decode(buffer.array()))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("Invalid embedding dimension: 2 (expected 384)");
  }

  private static OnlineFeature feature(String docId, float[] embedding, FeatureVersion version) {
    return OnlineFeature.of(
        new FeatureRow(docId, embedding, MODEL, EVENT_TIME, PROCESSED_AT), version);
  }

  private static float[] embedding() {
    float[] embedding = new float[Embeddings.DIMENSION];
    for (int i = 0; i < embedding.length; i++) {
      embedding[i] = (float) Math.sin(i + 1) / 14f;
    }
    return embedding;
  }

  private static int[] rawBits(float[] floats) {
    int[] bits = new int[floats.length];
    for (int i = 0; i < floats.length; i++) {
      bits[i] = Float.floatToRawIntBits(floats[i]);
    }
    return bits;
  }
}
