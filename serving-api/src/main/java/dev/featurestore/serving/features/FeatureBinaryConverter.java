package dev.featurestore.serving.features;

import dev.featurestore.api.Embeddings;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.springframework.http.HttpInputMessage;
import org.springframework.http.HttpOutputMessage;
import org.springframework.http.MediaType;
import org.springframework.http.converter.AbstractHttpMessageConverter;
import org.springframework.http.converter.HttpMessageNotReadableException;
import org.springframework.stereotype.Component;

/**
 * The compact binary representation of lookups, for clients that want the last microseconds: no
 * JSON, the floats as the writer computed them, bit for bit. Asked for with {@code Accept:
 * application/vnd.featurestore.embeddings}; every number is little-endian.
 *
 * <pre>
 * 4 bytes   magic "FSE1"
 * u32       count of results, u32 dimension (384)
 * count x   u8 found (1) or not (0)
 *           u16 length + UTF-8 doc id
 *           if found: i64 snapshot id, i64 sequence number, i64 event time, i64 processed at (epoch micros),
 *                     u16 length + UTF-8 model name, u16 length + UTF-8 model digest, dimension x float32
 * </pre>
 *
 * A single lookup is a batch of one.
 */
@Component
public final class FeatureBinaryConverter extends AbstractHttpMessageConverter<Object> {

  public static final String MEDIA_TYPE_VALUE = "application/vnd.featurestore.embeddings";
  public static final MediaType MEDIA_TYPE = MediaType.parseMediaType(MEDIA_TYPE_VALUE);
  static final byte[] MAGIC = {'F', 'S', 'E', '1'};

  public FeatureBinaryConverter() {
    super(MEDIA_TYPE);
  }

  @Override
  protected boolean supports(Class<?> type) {
    return type == FeatureResponse.class || type == BatchResponse.class;
  }

  @Override
  protected boolean canRead(MediaType mediaType) {
    return false;
  }

  @Override
  protected Object readInternal(Class<?> type, HttpInputMessage input) {
    throw new HttpMessageNotReadableException(
        "The binary representation is for responses only", input);
  }

  @Override
  protected void writeInternal(Object body, HttpOutputMessage output) throws IOException {
    List<BatchResponse.Result> results =
        body instanceof FeatureResponse feature
            ? List.of(new BatchResponse.Result(feature.docId(), true, feature))
            : ((BatchResponse) body).results();
    ByteBuffer buffer = ByteBuffer.allocate(size(results)).order(ByteOrder.LITTLE_ENDIAN);
    buffer.put(MAGIC).putInt(results.size()).putInt(Embeddings.DIMENSION);
    for (BatchResponse.Result result : results) {
      buffer.put((byte) (result.found() ? 1 : 0));
      putString(buffer, result.docId());
      if (result.found()) {
        FeatureResponse feature = result.feature();
        buffer.putLong(feature.snapshotId()).putLong(feature.sequenceNumber());
        buffer.putLong(feature.eventTimeMicros()).putLong(feature.processedAtMicros());
        putString(buffer, feature.model());
        putString(buffer, feature.modelDigest());
        // one bulk copy (the float view shares the buffer's little-endian order), then move past it
        buffer.asFloatBuffer().put(feature.embedding());
        buffer.position(buffer.position() + feature.embedding().length * Float.BYTES);
      }
    }
    output.getHeaders().setContentLength(buffer.position());
    OutputStream out = output.getBody();
    out.write(buffer.array(), 0, buffer.position());
  }

  private static int size(List<BatchResponse.Result> results) {
    int size = MAGIC.length + 2 * Integer.BYTES;
    for (BatchResponse.Result result : results) {
      size += 1 + Short.BYTES + utf8Length(result.docId());
      if (result.found()) {
        FeatureResponse feature = result.feature();
        size +=
            4 * Long.BYTES
                + 2 * Short.BYTES
                + utf8Length(feature.model())
                + utf8Length(feature.modelDigest());
        size += feature.embedding().length * Float.BYTES;
      }
    }
    return size;
  }

  private static int utf8Length(String s) {
    return s.getBytes(StandardCharsets.UTF_8).length;
  }

  private static void putString(ByteBuffer buffer, String value) {
    byte[] bytes = value.getBytes(StandardCharsets.UTF_8);
    buffer.putShort((short) bytes.length).put(bytes);
  }
}
