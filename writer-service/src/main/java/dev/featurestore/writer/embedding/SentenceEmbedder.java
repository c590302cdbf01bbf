package dev.featurestore.writer.embedding;

import ai.djl.huggingface.tokenizers.Encoding;
import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import ai.djl.repository.zoo.Criteria;
import dev.featurestore.api.Embeddings;
import dev.featurestore.api.ModelId;
import dev.featurestore.api.Preconditions;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;

/**
 * Sentence embeddings on one of DJL's engines: 256 word pieces at most (longer texts are truncated,
 * as sentence-transformers does), mean pooling, L2 normalisation. By default the bundled
 * all-MiniLM-L6-v2, on ONNX Runtime or, with the same weights, on PyTorch ({@link PyTorchMiniLm});
 * or another model the user points at.
 *
 * <p>Texts are sorted by length and embedded in sub-batches of at most {@code maxBatchSize}, so
 * short texts are not padded to the longest one in a large batch; the result keeps the input order.
 * Not thread-safe: one writer thread owns it.
 */
public final class SentenceEmbedder implements Embedder, AutoCloseable {

  public static final int MAX_WORD_PIECES = 256;

  /** all-MiniLM-L6-v2: 12 attention heads of 32 dimensions. */
  static final int MINILM_HEADS = 12;

  private final ModelId model;
  private final EmbeddingEngine engine;
  private final HuggingFaceTokenizer tokenizer;
  private final SentenceEncoder encoder;
  private final int maxBatchSize;

  private SentenceEmbedder(
      ModelId model,
      EmbeddingEngine engine,
      HuggingFaceTokenizer tokenizer,
      SentenceEncoder encoder,
      int maxBatchSize) {
    this.model = model;
    this.engine = engine;
    this.tokenizer = tokenizer;
    this.encoder = encoder;
    this.maxBatchSize = maxBatchSize;
  }

  public static Builder builder() {
    return new Builder();
  }

  @Override
  public ModelId model() {
    return model;
  }

  public EmbeddingEngine engine() {
    return engine;
  }

  SentenceEncoder encoder() {
    return encoder;
  }

  @Override
  public List<float[]> embed(List<String> texts) {
    float[][] result = new float[texts.size()][];
    Encoding[] encodings = tokenizer.batchEncode(texts);
    List<Integer> order = positions(texts.size());
    order.sort(Comparator.comparingInt(i -> encodings[i].getIds().length));
    for (int start = 0; start < order.size(); start += maxBatchSize) {
      List<Integer> chunk = order.subList(start, Math.min(order.size(), start + maxBatchSize));
      float[][] vectors = encoder.encode(pad(chunk, encodings));
      for (int i = 0; i < chunk.size(); i++) {
        result[chunk.get(i)] = vectors[i];
      }
    }
    return List.of(result);
  }

  public float[] embed(String text) {
    return embed(List.of(text)).get(0);
  }

  /**
   * The texts as one batch in the order given, padded to the longest (tests mix lengths on
   * purpose).
   */
  TokenBatch batchOf(List<String> texts) {
    return pad(positions(texts.size()), tokenizer.batchEncode(texts));
  }

  /** 0, 1, ..., count - 1, as a list the caller may reorder. */
  private static List<Integer> positions(int count) {
    List<Integer> positions = new ArrayList<>(count);
    for (int i = 0; i < count; i++) {
      positions.add(i);
    }
    return positions;
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
      System.arraycopy(
          encoding.getAttentionMask(), 0, mask[row], 0, encoding.getAttentionMask().length);
      System.arraycopy(encoding.getTypeIds(), 0, types[row], 0, encoding.getTypeIds().length);
    }
    return new TokenBatch(ids, mask, types);
  }

  @Override
  public void close() {
    encoder.close();
    tokenizer.close();
  }

  /**
   * Loads an embedder. Without {@link #modelUrl} it runs the bundled all-MiniLM-L6-v2 (extracted
   * into the cache directory, no download); with one, that model: a local directory or file (ONNX
   * for ONNX Runtime, TorchScript for PyTorch, with its {@code tokenizer.json} beside it), or a DJL
   * model-zoo or HTTP URL, which needs {@link #allowDownload}.
   */
  public static final class Builder {
    private EmbeddingEngine engine = EmbeddingEngine.ONNXRUNTIME;
    private Path cacheDir;
    private int maxBatchSize = 32;
    private int intraOpThreads;
    private String modelUrl;
    private String modelName;
    private boolean allowDownload;

    private Builder() {}

    public Builder engine(EmbeddingEngine engine) {
      this.engine = engine;
      return this;
    }

    /** Where the bundled model and the engines' native libraries are extracted. */
    public Builder cacheDir(Path cacheDir) {
      this.cacheDir = cacheDir;
      return this;
    }

    public Builder maxBatchSize(int maxBatchSize) {
      Preconditions.checkArgument(maxBatchSize >= 1, "Invalid max batch size: %s", maxBatchSize);
      this.maxBatchSize = maxBatchSize;
      return this;
    }

    /** Threads per operation; 0 means one per core. */
    public Builder intraOpThreads(int intraOpThreads) {
      Preconditions.checkArgument(
          intraOpThreads >= 0, "Invalid intra-op thread count: %s", intraOpThreads);
      this.intraOpThreads = intraOpThreads;
      return this;
    }

    public Builder modelUrl(String modelUrl) {
      this.modelUrl = modelUrl == null || modelUrl.isBlank() ? null : modelUrl;
      return this;
    }

    /** The name written with every row for a {@link #modelUrl} model; default the URL. */
    public Builder modelName(String modelName) {
      this.modelName = modelName == null || modelName.isBlank() ? null : modelName;
      return this;
    }

    public Builder allowDownload(boolean allowDownload) {
      this.allowDownload = allowDownload;
      return this;
    }

    public SentenceEmbedder build() {
      Preconditions.checkArgument(cacheDir != null, "Invalid cache directory: %s", cacheDir);
      Preconditions.checkArgument(
          modelUrl == null || allowDownload || isLocal(modelUrl),
          "Invalid model URL: %s needs a download; set featurestore.embedding.allow-download=true to allow it",
          modelUrl);
      Preconditions.checkArgument(
          !allowDownload || !"true".equalsIgnoreCase(System.getenv("DJL_OFFLINE")),
          "Invalid download setting: allow-download is set but the environment has DJL_OFFLINE=%s (set DJL_OFFLINE=false)",
          System.getenv("DJL_OFFLINE"));
      DjlEnvironment.prepare(cacheDir, allowDownload);
      int threads =
          intraOpThreads > 0 ? intraOpThreads : Runtime.getRuntime().availableProcessors();
      if (engine == EmbeddingEngine.PYTORCH) {
        DjlEnvironment.pyTorchThreads(threads);
      } else {
        DjlEnvironment.onnxRuntimeNatives(cacheDir);
      }
      return modelUrl == null ? bundled(threads) : fromUrl(threads);
    }

    private SentenceEmbedder bundled(int threads) {
      MiniLmArtifact artifact = MiniLmArtifact.extract(cacheDir);
      HuggingFaceTokenizer tokenizer = tokenizer(artifact.tokenizerFile());
      try {
        SentenceEncoder encoder =
            engine == EmbeddingEngine.PYTORCH
                ? PyTorchMiniLm.load(artifact.onnxFile(), MINILM_HEADS)
                : DjlModelEncoder.load(
                    criteria(threads).optModelPath(artifact.onnxFile()),
                    artifact.onnxFile().toString());
        return new SentenceEmbedder(artifact.model(), engine, tokenizer, encoder, maxBatchSize);
      } catch (RuntimeException e) {
        tokenizer.close();
        throw e;
      }
    }

    private SentenceEmbedder fromUrl(int threads) {
      Criteria.Builder<TokenBatch, float[][]> criteria = criteria(threads);
      Path local = isLocal(modelUrl) ? localPath(modelUrl) : null;
      if (local != null) {
        Preconditions.checkArgument(
            engine != EmbeddingEngine.PYTORCH || hasFileEndingIn(local, ".pt"),
            "Invalid model for the PyTorch engine: %s holds no TorchScript (*.pt) file; an ONNX model runs on onnxruntime",
            local);
        criteria.optModelPath(local);
      } else {
        criteria.optModelUrls(modelUrl);
      }
      DjlModelEncoder encoder = DjlModelEncoder.load(criteria, modelUrl);
      SentenceEmbedder embedder = null;
      try {
        Path dir = encoder.modelDir();
        Path tokenizerFile = dir.resolve("tokenizer.json");
        Preconditions.checkArgument(
            Files.isRegularFile(tokenizerFile),
            "Invalid model %s: no tokenizer.json in %s",
            modelUrl,
            dir);
        List<Path> files =
            local != null && Files.isRegularFile(local)
                ? List.of(local, tokenizerFile)
                : topLevelFiles(dir);
        ModelId id =
            ModelId.of(modelName != null ? modelName : modelUrl, "sha256:" + Digests.sha256(files));
        embedder =
            new SentenceEmbedder(id, engine, tokenizer(tokenizerFile), encoder, maxBatchSize);
        int dimension = embedder.embed("dimension probe").length;
        Preconditions.checkArgument(
            dimension == Embeddings.DIMENSION,
            "Invalid model %s: it gives %s-dimensional embeddings; the table holds "
                + Embeddings.DIMENSION,
            modelUrl,
            dimension);
        return embedder;
      } catch (RuntimeException e) {
        if (embedder != null) {
          embedder.close();
        } else {
          encoder.close();
        }
        throw e;
      }
    }

    private Criteria.Builder<TokenBatch, float[][]> criteria(int threads) {
      Criteria.Builder<TokenBatch, float[][]> criteria =
          Criteria.builder()
              .setTypes(TokenBatch.class, float[][].class)
              .optEngine(engine.djlName())
              .optTranslator(new MiniLmTranslator());
      if (engine == EmbeddingEngine.ONNXRUNTIME) {
        criteria.optOption("intraOpNumThreads", Integer.toString(threads));
        criteria.optOption("interOpNumThreads", "1");
      }
      return criteria;
    }

    private static HuggingFaceTokenizer tokenizer(Path file) {
      try {
        return HuggingFaceTokenizer.builder()
            .optTokenizerPath(file)
            .optMaxLength(MAX_WORD_PIECES)
            .optTruncation(true)
            // we pad ourselves, to the longest text of each sub-batch
            .optPadding(false)
            .build();
      } catch (IOException e) {
        throw new UncheckedIOException("Cannot load the tokenizer from " + file, e);
      }
    }

    private static boolean hasFileEndingIn(Path path, String suffix) {
      try (Stream<Path> files = Files.isDirectory(path) ? Files.list(path) : Stream.of(path)) {
        return files.anyMatch(file -> file.getFileName().toString().endsWith(suffix));
      } catch (IOException e) {
        throw new UncheckedIOException("Cannot list the model files in " + path, e);
      }
    }

    private static boolean isLocal(String url) {
      return url.startsWith("file:") || !url.matches("^[a-zA-Z][a-zA-Z0-9+.-]*:.*");
    }

    private static Path localPath(String url) {
      return url.startsWith("file:") ? Path.of(URI.create(url)) : Path.of(url);
    }
  }

  /**
   * The model's own files: the directory's regular, non-hidden files (not its subdirectories), in
   * name order.
   */
  static List<Path> topLevelFiles(Path dir) {
    try (Stream<Path> files = Files.list(dir)) {
      return files
          .filter(Files::isRegularFile)
          .filter(file -> !file.getFileName().toString().startsWith("."))
          .sorted()
          .toList();
    } catch (IOException e) {
      throw new UncheckedIOException("Cannot list the model files in " + dir, e);
    }
  }
}
