package dev.featurestore.writer.embedding;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import dev.featurestore.api.Embeddings;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The bundled MiniLM on ONNX Runtime and on PyTorch (weights read from the same ONNX file) give the
 * same vectors: every text of a varied corpus, embedded alone and inside padded batches, agrees
 * across engines and batchings to 1 - cosine < 1e-6.
 */
class EngineParityIT {

  private static final double TOLERANCE = 1e-6;
  private static final List<String> CORPUS = EmbeddingCorpus.texts(220, 6);

  @Test
  void theOnnxFileYieldsExactlyTheParametersOfBertModel() {
    Map<String, OnnxWeights.Tensor> weights =
        OnnxWeights.read(MiniLmArtifact.extract(SentenceEmbedderIT.MODEL_CACHE).onnxFile());
    // 3 embedding tables + their LayerNorm, and 16 per layer: q, k, v, attention output,
    // intermediate, output
    // (weight and bias each) and two LayerNorms (weight and bias each)
    assertThat(weights).hasSize(5 + 6 * 16);
    assertThat(weights.get("embeddings.word_embeddings.weight").shape())
        .containsExactly(30522, 384);
    for (int layer = 0; layer < 6; layer++) {
      assertThat(weights.get("encoder.layer." + layer + ".attention.self.query.weight").shape())
          .containsExactly(384, 384);
      assertThat(weights.get("encoder.layer." + layer + ".intermediate.dense.weight").shape())
          .containsExactly(384, 1536);
      assertThat(weights.get("encoder.layer." + layer + ".output.dense.weight").shape())
          .containsExactly(1536, 384);
    }
  }

  @Test
  void theCorpusIsVariedEnough() throws Exception {
    // the fixed texts (empty, scripts, emoji, code, numbers) lead; generated ones interleave
    // lengths, so batches of 8
    // in corpus order mix short texts with long ones
    assertThat(CORPUS).hasSizeGreaterThanOrEqualTo(200);
    // the shipped tokenizer.json truncates at 128; count the word pieces of the whole text
    try (HuggingFaceTokenizer tokenizer =
        HuggingFaceTokenizer.builder()
            .optTokenizerPath(
                MiniLmArtifact.extract(SentenceEmbedderIT.MODEL_CACHE).tokenizerFile())
            .optTruncation(false)
            .optPadding(false)
            .build()) {
      long pastTheLimit =
          CORPUS.stream()
              .filter(
                  t ->
                      tokenizer.encode(t, true, false).getIds().length
                          > SentenceEmbedder.MAX_WORD_PIECES)
              .count();
      assertThat(pastTheLimit).as("texts longer than 256 word pieces").isGreaterThanOrEqualTo(20);
    }
    assertThat(CORPUS).contains("", " ", "🚀🔥💯", "3.14159 2.71828 1.41421 1.73205");
  }

  @Test
  void bothEnginesAgreeOnEveryTextAloneAndInPaddedBatches() {
    SentenceEmbedder onnx = SentenceEmbedderIT.embedder(EmbeddingEngine.ONNXRUNTIME);
    SentenceEmbedder torch = SentenceEmbedderIT.embedder(EmbeddingEngine.PYTORCH);
    List<float[]> onnxAlone = alone(onnx);
    List<float[]> torchAlone = alone(torch);
    // one call: sorted by length into sub-batches of 32, each padded to its longest text
    List<float[]> onnxBatched = onnx.embed(CORPUS);
    List<float[]> torchBatched = torch.embed(CORPUS);
    // in corpus order, 8 at a time: short texts padded beside 256-piece ones
    List<float[]> onnxMixed = mixedBatches(onnx);
    List<float[]> torchMixed = mixedBatches(torch);

    double worst = 0;
    List<String> disagreements = new ArrayList<>();
    for (int i = 0; i < CORPUS.size(); i++) {
      float[][] variants = {
        onnxAlone.get(i),
        torchAlone.get(i),
        onnxBatched.get(i),
        torchBatched.get(i),
        onnxMixed.get(i),
        torchMixed.get(i)
      };
      for (int a = 0; a < variants.length; a++) {
        assertThat(SentenceEmbedderIT.norm(variants[a])).isBetween(1 - 1e-5, 1 + 1e-5);
        for (int b = a + 1; b < variants.length; b++) {
          double distance = 1 - Embeddings.cosine(variants[a], variants[b]);
          worst = Math.max(worst, distance);
          if (!(distance < TOLERANCE)) {
            disagreements.add(i + " " + a + "/" + b + " " + distance + " " + CORPUS.get(i));
          }
        }
      }
    }
    System.out.printf("Engine parity over %d texts: worst 1 - cosine %.3e%n", CORPUS.size(), worst);
    assertThat(disagreements).isEmpty();
  }

  @Test
  void pyTorchFreesEveryIntermediateArrayOfABatch() {
    SentenceEmbedder torch = SentenceEmbedderIT.embedder(EmbeddingEngine.PYTORCH);
    PyTorchMiniLm encoder = (PyTorchMiniLm) torch.encoder();
    torch.embed(List.of("warm up"));
    int before = encoder.residentArrays();
    torch.embed(CORPUS.subList(0, 64));
    assertThat(encoder.residentArrays()).isEqualTo(before);
    assertThat(encoder.layers()).isEqualTo(6);
  }

  private static List<float[]> mixedBatches(SentenceEmbedder embedder) {
    List<float[]> vectors = new ArrayList<>(CORPUS.size());
    for (int from = 0; from < CORPUS.size(); from += 8) {
      TokenBatch batch = embedder.batchOf(CORPUS.subList(from, Math.min(CORPUS.size(), from + 8)));
      vectors.addAll(List.of(embedder.encoder().encode(batch)));
    }
    return vectors;
  }

  private static List<float[]> alone(SentenceEmbedder embedder) {
    List<float[]> vectors = new ArrayList<>(CORPUS.size());
    for (String text : CORPUS) {
      vectors.add(embedder.embed(text));
    }
    return vectors;
  }
}
