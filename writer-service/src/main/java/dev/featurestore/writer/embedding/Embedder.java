package dev.featurestore.writer.embedding;

import dev.featurestore.api.ModelId;
import java.util.List;

/** Turns texts into sentence embeddings; the i-th vector belongs to the i-th text. */
public interface Embedder {

  ModelId model();

  List<float[]> embed(List<String> texts);
}
