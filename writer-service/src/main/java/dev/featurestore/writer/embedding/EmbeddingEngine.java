package dev.featurestore.writer.embedding;

/**
 * The DJL engine that runs the model ({@code featurestore.embedding.engine}). Both give the same
 * vectors for the bundled MiniLM to 1 - cosine < 1e-6 ({@code EngineParityIT}); ONNX Runtime is the
 * faster one on 2 cores and the default.
 */
public enum EmbeddingEngine {
  ONNXRUNTIME("OnnxRuntime"),
  PYTORCH("PyTorch");

  private final String djlName;

  EmbeddingEngine(String djlName) {
    this.djlName = djlName;
  }

  /**
   * The engine's name in DJL ({@code Engine.getEngine(name)}, {@code Criteria.optEngine(name)}).
   */
  public String djlName() {
    return djlName;
  }
}
