package dev.featurestore.writer.embedding;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The ONNX wire-format reader on small hand-encoded models. */
class OnnxWeightsTest {

  @Test
  void namesAnonymousMatMulWeightsAfterTheirNodeAndKeepsNamedOnes() {
    byte[] graph =
        concat(
            field(
                1,
                node(
                    "/encoder/layer.3/attention/self/query/MatMul",
                    "MatMul",
                    "hidden",
                    "onnx::MatMul_787")),
            field(1, node("/encoder/layer.3/Add", "Add", "a", "b")),
            field(5, tensor("onnx::MatMul_787", 1, new long[] {2, 3}, true, 1, 2, 3, 4, 5, 6)),
            field(
                5,
                tensor(
                    "encoder.layer.3.attention.self.query.bias",
                    1,
                    new long[] {3},
                    false,
                    0.5f,
                    -0.5f,
                    1e-12f)),
            // not float32 (int64 position ids): left out
            field(5, tensor("embeddings.position_ids", 7, new long[] {1}, true)));
    Map<String, OnnxWeights.Tensor> weights =
        OnnxWeights.fromModel(ByteBuffer.wrap(concat(varintField(1, 8), field(7, graph))));

    assertThat(weights)
        .containsOnlyKeys(
            "encoder.layer.3.attention.self.query.weight",
            "encoder.layer.3.attention.self.query.bias");
    OnnxWeights.Tensor weight = weights.get("encoder.layer.3.attention.self.query.weight");
    assertThat(weight.shape()).containsExactly(2, 3);
    assertThat(weight.matMulWeight()).isTrue();
    assertThat(weights.get("encoder.layer.3.attention.self.query.bias").matMulWeight()).isFalse();
    assertThat(values(weight)).containsExactly(1, 2, 3, 4, 5, 6);
    assertThat(values(weights.get("encoder.layer.3.attention.self.query.bias")))
        .containsExactly(0.5f, -0.5f, 1e-12f);
  }

  @Test
  void parameterNamesFollowTheModulePath() {
    assertThat(OnnxWeights.parameterName("/encoder/layer.0/intermediate/dense/MatMul"))
        .isEqualTo("encoder.layer.0.intermediate.dense.weight");
    assertThat(OnnxWeights.parameterName("/encoder/layer.5/output/dense/MatMul"))
        .isEqualTo("encoder.layer.5.output.dense.weight");
  }

  @Test
  void aTensorWhoseDataDoesNotMatchItsShapeIsRefusedByName() {
    byte[] graph =
        field(5, tensor("embeddings.word_embeddings.weight", 1, new long[] {2, 2}, true, 1, 2, 3));
    assertThatThrownBy(() -> OnnxWeights.fromModel(ByteBuffer.wrap(field(7, graph))))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("embeddings.word_embeddings.weight")
        .hasMessageContaining("[2, 2]")
        .hasMessageContaining("3 values");
  }

  @Test
  void aFieldLongerThanItsMessageIsMalformed() {
    byte[] truncated = concat(varint(7L << 3 | 2), varint(1000), new byte[10]);
    assertThatThrownBy(() -> OnnxWeights.fromModel(ByteBuffer.wrap(truncated)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("Malformed ONNX file: a field of 1000 bytes");
  }

  @Test
  void aFileWithoutAGraphIsNotAModel() {
    assertThatThrownBy(() -> OnnxWeights.fromModel(ByteBuffer.wrap(varintField(1, 8))))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("no graph");
  }

  private static float[] values(OnnxWeights.Tensor tensor) {
    float[] values = new float[tensor.values().remaining()];
    tensor.values().duplicate().get(values);
    return values;
  }

  private static byte[] node(String name, String opType, String... inputs) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    for (String input : inputs) {
      out.writeBytes(field(1, input.getBytes(StandardCharsets.UTF_8)));
    }
    out.writeBytes(field(3, name.getBytes(StandardCharsets.UTF_8)));
    out.writeBytes(field(4, opType.getBytes(StandardCharsets.UTF_8)));
    return out.toByteArray();
  }

  /** A TensorProto with dims packed or not, and the values as raw little-endian bytes. */
  private static byte[] tensor(
      String name, int dataType, long[] dims, boolean packedDims, float... values) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    if (packedDims) {
      ByteArrayOutputStream packed = new ByteArrayOutputStream();
      for (long dim : dims) {
        packed.writeBytes(varint(dim));
      }
      out.writeBytes(field(1, packed.toByteArray()));
    } else {
      for (long dim : dims) {
        out.writeBytes(varintField(1, dim));
      }
    }
    out.writeBytes(varintField(2, dataType));
    out.writeBytes(field(8, name.getBytes(StandardCharsets.UTF_8)));
    ByteBuffer raw = ByteBuffer.allocate(values.length * 4).order(ByteOrder.LITTLE_ENDIAN);
    for (float value : values) {
      raw.putFloat(value);
    }
    out.writeBytes(field(9, raw.array()));
    return out.toByteArray();
  }

  private static byte[] field(int number, byte[] bytes) {
    return concat(varint((long) number << 3 | 2), varint(bytes.length), bytes);
  }

  private static byte[] varintField(int number, long value) {
    return concat(varint((long) number << 3), varint(value));
  }

  private static byte[] varint(long value) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    while ((value & ~0x7FL) != 0) {
      out.write((int) (value & 0x7F) | 0x80);
      value >>>= 7;
    }
    out.write((int) value);
    return out.toByteArray();
  }

  private static byte[] concat(byte[]... parts) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    for (byte[] part : parts) {
      out.writeBytes(part);
    }
    return out.toByteArray();
  }
}
