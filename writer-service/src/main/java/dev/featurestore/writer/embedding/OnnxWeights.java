package dev.featurestore.writer.embedding;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The float32 initializers of an ONNX model, named as the original (Hugging Face) parameters. The
 * ONNX export keeps those names for embeddings, biases and layer norms, but stores each Linear
 * weight as an anonymous initializer ({@code onnx::MatMul_787}, laid out [in, out]) feeding a
 * MatMul node named after the module ({@code /encoder/layer.0/attention/self/query/MatMul}); such a
 * weight is renamed after its node ({@code encoder.layer.0.attention.self.query.weight}) and kept
 * in its [in, out] layout.
 *
 * <p>Reads the protobuf wire format directly (ModelProto.graph = 7; GraphProto.node = 1,
 * initializer = 5; NodeProto input = 1, name = 3, op_type = 4; TensorProto dims = 1, data_type = 2,
 * float_data = 4, name = 8, raw_data = 9), so no ONNX or protobuf library is needed. The file is
 * memory-mapped; tensors are views into it.
 */
final class OnnxWeights {

  private static final int FLOAT32 = 1;

  /**
   * One float32 tensor: its shape, its values (a little-endian view into the model file), and
   * whether it is the right-hand input of a MatMul, i.e. a Linear weight stored [in, out] rather
   * than torch's [out, in].
   */
  record Tensor(long[] shape, FloatBuffer values, boolean matMulWeight) {
    long size() {
      return Arrays.stream(shape).reduce(1, Math::multiplyExact);
    }

    Tensor asMatMulWeight() {
      return new Tensor(shape, values, true);
    }
  }

  private OnnxWeights() {}

  /** The float32 initializers of the model at {@code file}, by parameter name, in file order. */
  static Map<String, Tensor> read(Path file) {
    try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ)) {
      ByteBuffer model = channel.map(FileChannel.MapMode.READ_ONLY, 0, channel.size());
      return fromModel(model);
    } catch (IOException e) {
      throw new UncheckedIOException("Cannot read ONNX weights from " + file, e);
    }
  }

  static Map<String, Tensor> fromModel(ByteBuffer model) {
    ByteBuffer graph = null;
    for (Wire wire = new Wire(model); wire.hasNext(); ) {
      int field = wire.nextTag();
      if (field == 7 && wire.wireType() == Wire.LEN) {
        graph = wire.bytes();
      } else {
        wire.skip();
      }
    }
    if (graph == null) {
      throw new IllegalArgumentException("Not an ONNX model: no graph in ModelProto");
    }
    Map<String, Tensor> initializers = new LinkedHashMap<>();
    Map<String, String> renames = new LinkedHashMap<>();
    for (Wire wire = new Wire(graph); wire.hasNext(); ) {
      int field = wire.nextTag();
      if (field == 1 && wire.wireType() == Wire.LEN) {
        Node node = node(wire.bytes());
        if (node.opType().equals("MatMul")
            && node.inputs().size() == 2
            && node.name().endsWith("/MatMul")) {
          renames.put(node.inputs().get(1), parameterName(node.name()));
        }
      } else if (field == 5 && wire.wireType() == Wire.LEN) {
        readTensor(wire.bytes(), initializers);
      } else {
        wire.skip();
      }
    }
    Map<String, Tensor> named = new LinkedHashMap<>();
    initializers.forEach(
        (name, tensor) -> {
          String rename = renames.get(name);
          named.put(
              rename == null ? name : rename, rename == null ? tensor : tensor.asMatMulWeight());
        });
    return Collections.unmodifiableMap(named);
  }

  /**
   * {@code /encoder/layer.0/attention/self/query/MatMul} -> {@code
   * encoder.layer.0.attention.self.query.weight}.
   */
  static String parameterName(String matMulNode) {
    String module =
        matMulNode.substring(
            matMulNode.startsWith("/") ? 1 : 0, matMulNode.length() - "/MatMul".length());
    return module.replace('/', '.') + ".weight";
  }

  private record Node(String name, String opType, List<String> inputs) {}

  private static Node node(ByteBuffer bytes) {
    String name = "";
    String opType = "";
    List<String> inputs = new ArrayList<>(2);
    for (Wire wire = new Wire(bytes); wire.hasNext(); ) {
      int field = wire.nextTag();
      switch (field) {
        case 1 -> inputs.add(wire.expect(Wire.LEN).string());
        case 3 -> name = wire.expect(Wire.LEN).string();
        case 4 -> opType = wire.expect(Wire.LEN).string();
        default -> wire.skip();
      }
    }
    return new Node(name, opType, inputs);
  }

  private static void readTensor(ByteBuffer bytes, Map<String, Tensor> into) {
    List<Long> dims = new ArrayList<>();
    int dataType = 0;
    String name = null;
    FloatBuffer values = null;
    for (Wire wire = new Wire(bytes); wire.hasNext(); ) {
      int field = wire.nextTag();
      switch (field) {
        case 1 -> {
          if (wire.wireType() == Wire.LEN) {
            for (Wire packed = new Wire(wire.bytes()); packed.hasNext(); ) {
              dims.add(packed.varint());
            }
          } else {
            dims.add(wire.varint());
          }
        }
        case 2 -> dataType = (int) wire.expect(Wire.VARINT).varint();
        case 4 -> values = packedFloats(wire);
        case 8 -> name = wire.expect(Wire.LEN).string();
        case 9 -> values = floats(wire.expect(Wire.LEN).bytes());
        default -> wire.skip();
      }
    }
    if (dataType != FLOAT32 || name == null) {
      return;
    }
    long[] shape = dims.stream().mapToLong(Long::longValue).toArray();
    Tensor tensor = new Tensor(shape, values, false);
    if (values == null || values.remaining() != tensor.size()) {
      throw new IllegalArgumentException(
          "Invalid ONNX initializer "
              + name
              + ": shape "
              + Arrays.toString(shape)
              + " but "
              + (values == null
                  ? "no inline data (external data is not supported)"
                  : values.remaining() + " values"));
    }
    into.put(name, tensor);
  }

  private static FloatBuffer packedFloats(Wire wire) {
    if (wire.wireType() != Wire.LEN) {
      throw new IllegalArgumentException(
          "Unsupported ONNX initializer: unpacked float_data at offset " + wire.position());
    }
    return floats(wire.bytes());
  }

  private static FloatBuffer floats(ByteBuffer bytes) {
    if (bytes.remaining() % Float.BYTES != 0) {
      throw new IllegalArgumentException(
          "Malformed ONNX file: float data of " + bytes.remaining() + " bytes");
    }
    return bytes.order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer();
  }

  /** A cursor over one protobuf message. */
  private static final class Wire {
    static final int VARINT = 0;
    static final int I64 = 1;
    static final int LEN = 2;
    static final int I32 = 5;

    private final ByteBuffer buffer;
    private int wireType;

    Wire(ByteBuffer message) {
      this.buffer = message.slice();
    }

    boolean hasNext() {
      return buffer.hasRemaining();
    }

    int position() {
      return buffer.position();
    }

    int nextTag() {
      long tag = varint();
      wireType = (int) (tag & 7);
      return (int) (tag >>> 3);
    }

    int wireType() {
      return wireType;
    }

    Wire expect(int type) {
      if (wireType != type) {
        throw new IllegalArgumentException(
            "Malformed ONNX file: wire type "
                + wireType
                + " where "
                + type
                + " belongs, at offset "
                + buffer.position());
      }
      return this;
    }

    long varint() {
      long value = 0;
      for (int shift = 0; shift < 64; shift += 7) {
        byte b = buffer.get();
        value |= (long) (b & 0x7F) << shift;
        if (b >= 0) {
          return value;
        }
      }
      throw new IllegalArgumentException(
          "Malformed ONNX file: varint longer than 10 bytes at offset " + buffer.position());
    }

    ByteBuffer bytes() {
      long length = varint();
      if (length < 0 || length > buffer.remaining()) {
        throw new IllegalArgumentException(
            "Malformed ONNX file: a field of "
                + length
                + " bytes at offset "
                + buffer.position()
                + " with "
                + buffer.remaining()
                + " left");
      }
      ByteBuffer slice = buffer.slice(buffer.position(), (int) length);
      buffer.position(buffer.position() + (int) length);
      return slice;
    }

    String string() {
      ByteBuffer bytes = bytes();
      byte[] array = new byte[bytes.remaining()];
      bytes.get(array);
      return new String(array, StandardCharsets.UTF_8);
    }

    void skip() {
      switch (wireType) {
        case VARINT -> varint();
        case I64 -> buffer.position(buffer.position() + 8);
        case LEN -> bytes();
        case I32 -> buffer.position(buffer.position() + 4);
        default ->
            throw new IllegalArgumentException(
                "Malformed ONNX file: wire type " + wireType + " at offset " + buffer.position());
      }
    }
  }
}
