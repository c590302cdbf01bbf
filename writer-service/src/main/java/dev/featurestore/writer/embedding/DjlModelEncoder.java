package dev.featurestore.writer.embedding;

import ai.djl.inference.Predictor;
import ai.djl.repository.zoo.ZooModel;
import ai.djl.translate.TranslateException;

/** A model loaded through DJL's {@code Criteria} (an ONNX graph on ONNX Runtime, TorchScript on PyTorch). */
final class DjlModelEncoder implements SentenceEncoder {

  private final ZooModel<TokenBatch, float[][]> model;
  private final Predictor<TokenBatch, float[][]> predictor;

  DjlModelEncoder(ZooModel<TokenBatch, float[][]> model) {
    this.model = model;
    this.predictor = model.newPredictor();
  }

  /** The local directory DJL loaded the model from (downloaded into its cache first if it was a URL). */
  java.nio.file.Path modelDir() {
    return model.getModelPath();
  }

  @Override
  public float[][] encode(TokenBatch batch) {
    try {
      return predictor.predict(batch);
    } catch (TranslateException e) {
      throw new IllegalStateException("Inference failed for a batch of " + batch.size() + " on " + model.getName(), e);
    }
  }

  @Override
  public void close() {
    predictor.close();
    model.close();
  }
}
