package dev.featurestore.writer.embedding;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.translate.NoBatchifyTranslator;
import ai.djl.translate.TranslatorContext;

/**
 * Feeds a {@link TokenBatch} to the MiniLM ONNX graph and turns its {@code last_hidden_state} into
 * sentence embeddings: mean over the real tokens, then L2 normalisation, as sentence-transformers
 * does. Pooling runs in Java because ONNX Runtime's NDArrays cannot compute without an alternative
 * engine.
 */
final class MiniLmTranslator implements NoBatchifyTranslator<TokenBatch, float[][]> {

  private static final String BATCH = "batch";

  @Override
  public NDList processInput(TranslatorContext ctx, TokenBatch batch) {
    ctx.setAttachment(BATCH, batch);
    NDManager manager = ctx.getNDManager();
    NDArray inputIds = manager.create(batch.inputIds());
    inputIds.setName("input_ids");
    NDArray attentionMask = manager.create(batch.attentionMask());
    attentionMask.setName("attention_mask");
    NDArray tokenTypeIds = manager.create(batch.tokenTypeIds());
    tokenTypeIds.setName("token_type_ids");
    return new NDList(inputIds, attentionMask, tokenTypeIds);
  }

  @Override
  public float[][] processOutput(TranslatorContext ctx, NDList output) {
    TokenBatch batch = (TokenBatch) ctx.getAttachment(BATCH);
    NDArray hidden =
        output.contains("last_hidden_state") ? output.get("last_hidden_state") : output.get(0);
    ai.djl.ndarray.types.Shape shape = hidden.getShape();
    if (shape.dimension() != 3
        || shape.get(0) != batch.size()
        || shape.get(1) != batch.sequenceLength()) {
      // e.g. a model that pools itself ([batch, dim]): mean pooling over tokens would read garbage
      throw new IllegalStateException(
          "The model's output has shape "
              + shape
              + "; expected the last hidden state ("
              + batch.size()
              + ", "
              + batch.sequenceLength()
              + ", dimension)");
    }
    float[] flat = hidden.toFloatArray();
    int sequenceLength = batch.sequenceLength();
    // from the output, not Embeddings.DIMENSION: a user's model may have another width, which
    // load() then refuses
    int dimension = Math.toIntExact(hidden.getShape().get(hidden.getShape().dimension() - 1));
    float[][] embeddings = new float[batch.size()][];
    for (int b = 0; b < batch.size(); b++) {
      embeddings[b] =
          meanPoolAndNormalise(
              flat, batch.attentionMask()[b], b * sequenceLength * dimension, dimension);
    }
    return embeddings;
  }

  static float[] meanPoolAndNormalise(float[] hidden, long[] mask, int offset, int dimension) {
    double[] sum = new double[dimension];
    int tokens = 0;
    for (int t = 0; t < mask.length; t++) {
      if (mask[t] == 0) {
        continue;
      }
      tokens++;
      int base = offset + t * dimension;
      for (int d = 0; d < dimension; d++) {
        sum[d] += hidden[base + d];
      }
    }
    double norm = 0;
    for (int d = 0; d < dimension; d++) {
      sum[d] /= Math.max(tokens, 1);
      norm += sum[d] * sum[d];
    }
    // sentence-transformers clamps the norm at 1e-12 so an all-zero vector stays finite
    norm = Math.max(Math.sqrt(norm), 1e-12);
    float[] embedding = new float[dimension];
    for (int d = 0; d < dimension; d++) {
      embedding[d] = (float) (sum[d] / norm);
    }
    return embedding;
  }
}
