package dev.featurestore.writer.embedding;

import ai.djl.MalformedModelException;
import ai.djl.huggingface.tokenizers.Encoding;
import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import ai.djl.inference.Predictor;
import ai.djl.repository.zoo.Criteria;
import ai.djl.repository.zoo.ModelNotFoundException;
import ai.djl.repository.zoo.ZooModel;
import ai.djl.translate.TranslateException;
import dev.featurestore.common.ModelId;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * all-MiniLM-L6-v2 sentence embeddings on DJL's ONNX Runtime engine: 256 word pieces at most (longer texts are
 * truncated, as sentence-transformers does), mean pooling, L2 normalisation.
 *
 * <p>Texts are sorted by length and embedded in sub-batches of at most {@code maxBatchSize}, so short texts are
 * not padded to the longest one in a large batch; the result keeps the input order. Not thread-safe: one writer
 * thread owns it.
 */
public final class SentenceEmbedder implements Embedder, AutoCloseable {

  public static final int MAX_WORD_PIECES = 256;

  private final ModelId model;
  private final HuggingFaceTokenizer tokenizer;
  private final ZooModel<TokenBatch, float[][]> onnxModel;
  private final Predictor<TokenBatch, float[][]> predictor;
  private final int maxBatchSize;

  private SentenceEmbedder(
      ModelId model, HuggingFaceTokenizer tokenizer, ZooModel<TokenBatch, float[][]> onnxModel, int maxBatchSize) {
    this.model = model;
    this.tokenizer = tokenizer;
    this.onnxModel = onnxModel;
    this.predictor = onnxModel.newPredictor();
    this.maxBatchSize = maxBatchSize;
  }

  /** Loads the model from an extracted artifact; {@code intraOpThreads} 0 leaves ONNX Runtime's default. */
  public static SentenceEmbedder load(MiniLmArtifact artifact, int maxBatchSize, int intraOpThreads) {
    DjlOffline.enforce(artifact.onnxFile().getParent().getParent());
    try {
      HuggingFaceTokenizer tokenizer =
          HuggingFaceTokenizer.builder()
              .optTokenizerPath(artifact.tokenizerFile())
              .optMaxLength(MAX_WORD_PIECES)
              .optTruncation(true)
              // we pad ourselves, to the longest text of each sub-batch
              .optPadding(false)
              .build();
      Criteria.Builder<TokenBatch, float[][]> criteria =
          Criteria.builder()
              .setTypes(TokenBatch.class, float[][].class)
              .optModelPath(artifact.onnxFile())
              .optEngine("OnnxRuntime")
              .optTranslator(new MiniLmTranslator());
      if (intraOpThreads > 0) {
        criteria.optOption("intraOpNumThreads", Integer.toString(intraOpThreads));
        criteria.optOption("interOpNumThreads", "1");
      }
      return new SentenceEmbedder(artifact.model(), tokenizer, criteria.build().loadModel(), maxBatchSize);
    } catch (IOException e) {
      throw new UncheckedIOException("Cannot load the MiniLM model from " + artifact.onnxFile(), e);
    } catch (ModelNotFoundException | MalformedModelException e) {
      throw new IllegalStateException("Cannot load the MiniLM model from " + artifact.onnxFile(), e);
    }
  }

  @Override
  public ModelId model() {
    return model;
  }

  @Override
  public List<float[]> embed(List<String> texts) {
    float[][] result = new float[texts.size()][];
    Encoding[] encodings = tokenizer.batchEncode(texts);
    List<Integer> order = new ArrayList<>(texts.size());
    for (int i = 0; i < texts.size(); i++) {
      order.add(i);
    }
    order.sort(Comparator.comparingInt(i -> encodings[i].getIds().length));
    for (int start = 0; start < order.size(); start += maxBatchSize) {
      List<Integer> chunk = order.subList(start, Math.min(order.size(), start + maxBatchSize));
      float[][] vectors = predict(pad(chunk, encodings));
      for (int i = 0; i < chunk.size(); i++) {
        result[chunk.get(i)] = vectors[i];
      }
    }
    return List.of(result);
  }

  public float[] embed(String text) {
    return embed(List.of(text)).get(0);
  }

  private float[][] predict(TokenBatch batch) {
    try {
      return predictor.predict(batch);
    } catch (TranslateException e) {
      throw new IllegalStateException("MiniLM inference failed for a batch of " + batch.size(), e);
    }
  }

  private static TokenBatch pad(List<Integer> chunk, Encoding[] encodings) {
    int length = 0;
    for (int i : chunk) {
      length = Math.max(length, encodings[i].getIds().length);
    }
    long[][] ids = new long[chunk.size()][length];
    long[][] mask = new long[chunk.size()][length];
    long[][] types = new long[chunk.size()][length];
    for (int row = 0; row < chunk.size(); row++) {
      Encoding encoding = encodings[chunk.get(row)];
      System.arraycopy(encoding.getIds(), 0, ids[row], 0, encoding.getIds().length);
      System.arraycopy(encoding.getAttentionMask(), 0, mask[row], 0, encoding.getAttentionMask().length);
      System.arraycopy(encoding.getTypeIds(), 0, types[row], 0, encoding.getTypeIds().length);
    }
    return new TokenBatch(ids, mask, types);
  }

  @Override
  public void close() {
    predictor.close();
    onnxModel.close();
    tokenizer.close();
  }
}
