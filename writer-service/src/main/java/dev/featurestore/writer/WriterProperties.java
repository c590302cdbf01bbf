package dev.featurestore.writer;

import dev.featurestore.api.Preconditions;
import dev.featurestore.writer.embedding.EmbeddingEngine;
import java.nio.file.Path;
import java.time.Duration;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

/**
 * Writer configuration under {@code featurestore.*}; the defaults are the {@code @DefaultValue}s
 * here. The catalog and the state dir are the offline store's ({@code OfflineStoreProperties}).
 *
 * @param writer the Kafka side
 * @param embedding the model runtime
 */
@ConfigurationProperties("featurestore")
public record WriterProperties(@DefaultValue Writer writer, @DefaultValue Embedding embedding) {

  public WriterProperties {
    Preconditions.checkArgument(writer != null, "Invalid writer settings: %s", writer);
    Preconditions.checkArgument(embedding != null, "Invalid embedding settings: %s", embedding);
  }

  /**
   * @param topic the documents topic
   * @param deadLetterTopic where records that cannot be processed go, with the reason in headers
   * @param consumerGroup the writers' consumer group
   * @param partitions partitions of the topics when the writer creates them
   * @param maxTextBytes the largest text accepted (UTF-8 bytes); the model reads 256 word pieces at
   *     most anyway
   * @param commitInterval the least time between two commits (snapshots) of this writer; 0 commits
   *     as fast as it can
   * @param maxBatchRecords a batch this large is committed without waiting for the interval
   */
  public record Writer(
      @DefaultValue("documents") String topic,
      @DefaultValue("documents.dlq") String deadLetterTopic,
      @DefaultValue("featurestore-writer") String consumerGroup,
      @DefaultValue("3") int partitions,
      @DefaultValue("65536") int maxTextBytes,
      @DefaultValue("500ms") Duration commitInterval,
      @DefaultValue("2048") int maxBatchRecords) {

    public Writer {
      Preconditions.checkArgument(isNamed(topic), "Invalid writer topic: %s", topic);
      Preconditions.checkArgument(
          isNamed(deadLetterTopic), "Invalid dead-letter topic: %s", deadLetterTopic);
      Preconditions.checkArgument(
          isNamed(consumerGroup), "Invalid consumer group: %s", consumerGroup);
      Preconditions.checkArgument(
          partitions >= 1, "Invalid partitions: %s (at least 1)", partitions);
      Preconditions.checkArgument(
          maxTextBytes >= 1 && maxTextBytes <= 16 * 1024 * 1024,
          "Invalid max text bytes: %s (1 to 16 MiB)",
          maxTextBytes);
      Preconditions.checkArgument(
          commitInterval != null && !commitInterval.isNegative(),
          "Invalid commit interval: %s",
          commitInterval);
      Preconditions.checkArgument(
          maxBatchRecords >= 1, "Invalid max batch records: %s (at least 1)", maxBatchRecords);
    }
  }

  /**
   * @param engine the DJL engine that runs the model: onnxruntime (default, the faster one here) or
   *     pytorch
   * @param cacheDir where the model and the engines' natives are extracted; default {@code
   *     <state-dir>/models}
   * @param maxBatchSize texts per inference call
   * @param intraOpThreads threads per inference operation; 0 means one per core
   * @param modelUrl another model instead of the bundled all-MiniLM-L6-v2: a local directory or
   *     file (ONNX for onnxruntime, TorchScript for pytorch, with tokenizer.json beside it) or a
   *     DJL model-zoo / HTTP URL
   * @param modelName the model name written with every row for a {@code modelUrl} model; default
   *     the URL
   * @param allowDownload whether a {@code modelUrl} may be downloaded at start; off, nothing
   *     reaches the network
   */
  public record Embedding(
      @DefaultValue("onnxruntime") EmbeddingEngine engine,
      Path cacheDir,
      @DefaultValue("32") int maxBatchSize,
      @DefaultValue("0") int intraOpThreads,
      String modelUrl,
      String modelName,
      @DefaultValue("false") boolean allowDownload) {

    public Embedding {
      Preconditions.checkArgument(engine != null, "Invalid embedding engine: %s", engine);
      Preconditions.checkArgument(
          maxBatchSize >= 1 && maxBatchSize <= 1024,
          "Invalid embedding max batch size: %s (1 to 1024)",
          maxBatchSize);
      Preconditions.checkArgument(
          intraOpThreads >= 0, "Invalid intra-op threads: %s (0: one per core)", intraOpThreads);
    }
  }

  private static boolean isNamed(String name) {
    return name != null && !name.isBlank();
  }

  /** The configured model cache, else {@code models/} in the state dir. */
  public Path modelCacheDir(Path stateDir) {
    return embedding.cacheDir() != null ? embedding.cacheDir() : stateDir.resolve("models");
  }
}
