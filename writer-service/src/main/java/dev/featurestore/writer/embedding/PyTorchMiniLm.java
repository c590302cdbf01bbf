package dev.featurestore.writer.embedding;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.ndarray.types.SparseFormat;
import ai.djl.nn.Activation;
import ai.djl.nn.core.Embedding;
import ai.djl.nn.core.Linear;
import ai.djl.nn.norm.LayerNorm;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The MiniLM BERT encoder written with DJL operations on the PyTorch engine, its weights read from
 * the same ONNX file ONNX Runtime runs ({@link OnnxWeights}): embeddings, {@code layers} x
 * (self-attention, feed-forward with exact GELU, each followed by residual + LayerNorm), then mean
 * pooling over the attention mask and L2 normalisation.
 *
 * <p>Every intermediate array of a layer lives in a sub-manager closed when the layer is done, so
 * native memory stays at one layer's worth of activations however deep the model; the batch size
 * bounds that layer's share. Not thread-safe.
 */
final class PyTorchMiniLm implements SentenceEncoder {

  static final String ENGINE = "PyTorch";
  private static final float LAYER_NORM_EPSILON = 1e-12f;
  // exp(-10000) is 0 in float32: padded positions get no attention, and no -inf can reach softmax
  private static final float MASKED = -10_000f;
  private static final Pattern LAYER = Pattern.compile("encoder\\.layer\\.(\\d+)\\..*");

  private final NDManager weights;
  private final Map<String, NDArray> parameters = new HashMap<>();
  private final Set<String> fromMatMul;
  private final int layers;
  private final int heads;
  private final int hidden;

  private PyTorchMiniLm(
      NDManager weights, Map<String, NDArray> parameters, Set<String> fromMatMul, int heads) {
    this.weights = weights;
    this.parameters.putAll(parameters);
    this.fromMatMul = Set.copyOf(fromMatMul);
    this.heads = heads;
    int maxLayer = -1;
    for (String name : parameters.keySet()) {
      Matcher m = LAYER.matcher(name);
      if (m.matches()) {
        maxLayer = Math.max(maxLayer, Integer.parseInt(m.group(1)));
      }
    }
    this.layers = maxLayer + 1;
    this.hidden = Math.toIntExact(parameter("embeddings.word_embeddings.weight").getShape().get(1));
    if (layers == 0 || hidden % heads != 0) {
      throw new IllegalArgumentException(
          "Not a BERT encoder this runtime can run: "
              + layers
              + " layers, hidden size "
              + hidden
              + ", "
              + heads
              + " heads");
    }
    for (int layer = 0; layer < layers; layer++) {
      String prefix = "encoder.layer." + layer + ".";
      for (String linear :
          new String[] {
            "attention.self.query.",
            "attention.self.key.",
            "attention.self.value.",
            "attention.output.dense."
          }) {
        expectShape(prefix + linear + "weight", hidden, hidden);
      }
      long intermediate = parameter(prefix + "intermediate.dense.weight").getShape().get(0);
      expectShape(prefix + "intermediate.dense.weight", intermediate, hidden);
      expectShape(prefix + "output.dense.weight", hidden, intermediate);
    }
  }

  /** Loads the BERT weights of an ONNX export onto the PyTorch engine. */
  static PyTorchMiniLm load(Path onnxFile, int heads) {
    NDManager weights = Engine.getEngine(ENGINE).newBaseManager();
    try {
      Map<String, NDArray> parameters = new HashMap<>();
      Set<String> fromMatMul = new HashSet<>();
      OnnxWeights.read(onnxFile)
          .forEach(
              (name, tensor) -> {
                NDArray array =
                    weights.create(tensor.values(), new Shape(tensor.shape()), DataType.FLOAT32);
                // torch's linear wants [out, in]: a transposed view of a MatMul's [in, out] weight,
                // no copy
                parameters.put(name, tensor.matMulWeight() ? array.transpose() : array);
                if (tensor.matMulWeight()) {
                  fromMatMul.add(name);
                }
              });
      return new PyTorchMiniLm(weights, parameters, fromMatMul, heads);
    } catch (RuntimeException e) {
      weights.close();
      throw e;
    }
  }

  /**
   * A Linear weight as torch sees it, [out, in]; a weight not taken from a MatMul would not be
   * transposed.
   */
  private void expectShape(String name, long out, long in) {
    Shape shape = parameter(name).getShape();
    if (!shape.equals(new Shape(out, in)) || !fromMatMul.contains(name)) {
      throw new IllegalArgumentException(
          "Not a BERT encoder this runtime can run: "
              + name
              + " has shape "
              + shape
              + (fromMatMul.contains(name) ? "" : " and feeds no MatMul")
              + ", expected the [in, out] weight of a MatMul, read as ("
              + out
              + ", "
              + in
              + ")");
    }
  }

  int layers() {
    return layers;
  }

  /**
   * Arrays held for the weights; constant after loading (a leak of per-batch arrays would grow it).
   */
  int residentArrays() {
    return ((ai.djl.ndarray.BaseNDManager) weights).getManagedArrays().size();
  }

  @Override
  public float[][] encode(TokenBatch batch) {
    int size = batch.size();
    int length = batch.sequenceLength();
    try (NDManager scope = weights.newSubManager()) {
      NDArray mask = scope.create(batch.attentionMask()).toType(DataType.FLOAT32, false);
      // 0 for real tokens, MASKED for padding, broadcast over heads and query positions
      NDArray attentionBias = mask.sub(1f).mul(-MASKED).reshape(size, 1, 1, length);
      NDArray x = embed(scope, batch, length);
      for (int layer = 0; layer < layers; layer++) {
        x = encoderLayer(scope, x, attentionBias, "encoder.layer." + layer + ".", size, length);
      }
      NDArray weightsPerToken = mask.expandDims(2);
      NDArray mean =
          x.mul(weightsPerToken)
              .sum(new int[] {1})
              .div(mask.sum(new int[] {1}, true).maximum(1e-9f));
      NDArray normalised = mean.div(mean.norm(new int[] {1}, true).maximum(1e-12f));
      float[] flat = normalised.toFloatArray();
      float[][] vectors = new float[size][hidden];
      for (int b = 0; b < size; b++) {
        System.arraycopy(flat, b * hidden, vectors[b], 0, hidden);
      }
      return vectors;
    }
  }

  private NDArray embed(NDManager scope, TokenBatch batch, int length) {
    NDArray ids = scope.create(batch.inputIds());
    NDArray types = scope.create(batch.tokenTypeIds());
    NDArray positions = scope.arange(0, length, 1, DataType.INT64);
    NDArray sum =
        lookup(ids, "embeddings.word_embeddings.weight")
            .add(lookup(positions, "embeddings.position_embeddings.weight"))
            .add(lookup(types, "embeddings.token_type_embeddings.weight"));
    return layerNorm(sum, "embeddings.LayerNorm.");
  }

  private NDArray lookup(NDArray indices, String table) {
    return Embedding.embedding(indices, parameter(table), SparseFormat.DENSE).singletonOrThrow();
  }

  /**
   * One BERT layer; {@code x} and every intermediate are freed when it returns, only its output
   * survives.
   */
  private NDArray encoderLayer(
      NDManager scope, NDArray x, NDArray attentionBias, String prefix, int size, int length) {
    try (NDManager layerScope = scope.newSubManager()) {
      x.attach(layerScope);
      int headSize = hidden / heads;
      NDArray query =
          linear(x, prefix + "attention.self.query.")
              .reshape(size, length, heads, headSize)
              .transpose(0, 2, 1, 3);
      NDArray keyT =
          linear(x, prefix + "attention.self.key.")
              .reshape(size, length, heads, headSize)
              .transpose(0, 2, 3, 1);
      NDArray value =
          linear(x, prefix + "attention.self.value.")
              .reshape(size, length, heads, headSize)
              .transpose(0, 2, 1, 3);
      // the [batch, heads, length, length] arrays are the largest of the pass (100 MB at 32 x 256
      // tokens): scale the
      // query instead of the scores, add the mask in place, and free each as soon as the next one
      // exists
      NDArray scores = query.mul((float) (1 / Math.sqrt(headSize))).matMul(keyT);
      scores.addi(attentionBias);
      NDArray probabilities = scores.softmax(-1);
      scores.close();
      NDArray attended4d = probabilities.matMul(value);
      probabilities.close();
      NDArray context = attended4d.transpose(0, 2, 1, 3).reshape(size, length, hidden);
      NDArray attended =
          layerNorm(
              linear(context, prefix + "attention.output.dense.").add(x),
              prefix + "attention.output.LayerNorm.");
      NDArray intermediate = Activation.gelu(linear(attended, prefix + "intermediate.dense."));
      NDArray output =
          layerNorm(
              linear(intermediate, prefix + "output.dense.").add(attended),
              prefix + "output.LayerNorm.");
      output.attach(scope);
      return output;
    }
  }

  /**
   * {@code x W + b} as one fused operation; torch's linear takes W as [out, in], which is a
   * transposed view of the ONNX file's [in, out] layout (made once at load, no copy).
   */
  private NDArray linear(NDArray x, String prefix) {
    return Linear.linear(x, parameter(prefix + "weight"), parameter(prefix + "bias"))
        .singletonOrThrow();
  }

  private NDArray layerNorm(NDArray x, String prefix) {
    return LayerNorm.layerNorm(
            x,
            new Shape(hidden),
            parameter(prefix + "weight"),
            parameter(prefix + "bias"),
            LAYER_NORM_EPSILON)
        .singletonOrThrow();
  }

  private NDArray parameter(String name) {
    NDArray array = parameters.get(name);
    if (array == null) {
      throw new IllegalArgumentException(
          "Not a BERT encoder this runtime can run: no parameter " + name);
    }
    return array;
  }

  @Override
  public void close() {
    weights.close();
  }
}
