package dev.featurestore.writer.embedding;

import ai.djl.MalformedModelException;
import ai.djl.inference.Predictor;
import ai.djl.repository.zoo.Criteria;
import ai.djl.repository.zoo.ModelNotFoundException;
import ai.djl.repository.zoo.ZooModel;
import ai.djl.translate.TranslateException;
import java.io.IOException;
import java.io.UncheckedIOException;

/**
 * A model loaded through DJL's {@code Criteria} (an ONNX graph on ONNX Runtime, TorchScript on
 * PyTorch).
 */
final class DjlModelEncoder implements SentenceEncoder {

  private final ZooModel<TokenBatch, float[][]> model;
  private final Predictor<TokenBatch, float[][]> predictor;

  private DjlModelEncoder(ZooModel<TokenBatch, float[][]> model) {
    this.model = model;
    this.predictor = model.newPredictor();
  }

  /** Loads the model {@code criteria} describe; {@code source} names it in errors. */
  static DjlModelEncoder load(Criteria.Builder<TokenBatch, float[][]> criteria, String source) {
    ZooModel<TokenBatch, float[][]> model;
    try {
      model = criteria.build().loadModel();
    } catch (IOException e) {
      throw new UncheckedIOException("Cannot load the embedding model from " + source, e);
    } catch (ModelNotFoundException | MalformedModelException e) {
      throw new IllegalStateException("Cannot load the embedding model from " + source, e);
    }
    try {
      return new DjlModelEncoder(model);
    } catch (RuntimeException e) {
      model.close();
      throw e;
    }
  }

  /**
   * The local directory DJL loaded the model from (downloaded into its cache first if it was a
   * URL).
   */
  java.nio.file.Path modelDir() {
    return model.getModelPath();
  }

  @Override
  public float[][] encode(TokenBatch batch) {
    try {
      return predictor.predict(batch);
    } catch (TranslateException e) {
      throw new IllegalStateException(
          "Inference failed for a batch of " + batch.size() + " on " + model.getName(), e);
    }
  }

  @Override
  public void close() {
    predictor.close();
    model.close();
  }
}
